#!/usr/bin/env bash
# t0213-dispatch-early-receipt.sh: a delivery receipt that beats the record
# of its send.  The gateway may acknowledge a send before wapoold has
# written its gateway id back; the callback then finds no message, keeps
# the receipt in delivery_receipts, and the daemon applies it when it
# writes the send (queue_after_sent, in the outcome's transaction).
# To make the race certain, a transaction holds the message's row while
# the send is on its way: the daemon's outcome waits behind it, the
# simulator's acks (no delay) arrive meanwhile.
. "$(dirname "$0")/../lib.sh"

dw_world 1
dw_knobs 1 '{"latency_ms":1500,"ack":true,"ack_delay_ms":0,"read":false}' || bail_out "knobs"
dw_start || bail_out "wapoold does not start"

dw_insert 1
id=$(db "SELECT id FROM messages WHERE $DW_WHERE")
wait_until 10 "[ \"\$(db \"SELECT state FROM messages WHERE id = $id\")\" = sending ]" ||
	bail_out "message $id was not claimed"
# The send waits 1.5 s in the simulator; hold the row for 4 s from now.
mariadb --defaults-file="$STATE/my.cnf" -uroot -N -B -D "${DB_NAME:-wapool}" \
	-e "BEGIN; SELECT id FROM messages WHERE id = $id FOR UPDATE; SELECT SLEEP(4); COMMIT" \
	> "$TEST_TMP/hold.out" 2>&1 &
holder=$!
at_exit "kill $holder 2> /dev/null || true"

# The acks come while the row is held: kept as a receipt, the message untouched.
wait_until 10 "[ -n \"\$(db \"SELECT status FROM delivery_receipts WHERE instance_id = ${DW_ID[1]} AND status = 'delivered'\")\" ]"
is "$(db "SELECT COUNT(*) FROM delivery_receipts WHERE instance_id = ${DW_ID[1]} AND status = 'delivered'")" 1 \
	"the DELIVERY_ACK came before the send was recorded and was kept as a receipt"
is "$(db "SELECT state FROM messages WHERE id = $id")" sending "... while the message was still being sent"

wait "$holder"
wait_until 10 "[ \"\$(db \"SELECT state FROM messages WHERE id = $id\")\" = delivered ]"
is "$(db "SELECT state, delivered_at IS NOT NULL, sent_at IS NOT NULL FROM messages WHERE id = $id")" \
	"delivered	1	1" "once the send is recorded, the waiting receipt moves the message to delivered"
is "$(db "SELECT r.gateway_message_id = m.gateway_message_id FROM messages m
	JOIN delivery_receipts r ON r.instance_id = m.sent_instance_id WHERE m.id = $id")" 1 \
	"... the receipt of the very gateway id the daemon recorded"
is "$(db "SELECT m.delivered_at = r.received_at FROM messages m
	JOIN delivery_receipts r ON r.instance_id = m.sent_instance_id
	AND r.gateway_message_id = m.gateway_message_id WHERE m.id = $id")" 1 \
	"delivered_at is the receipt's arrival, not the time it was applied"

done_testing
