#!/usr/bin/env bash
# t0206-dispatch-zombie.sh: an instance the gateway keeps "connected" but
# whose sends are never acknowledged (the zombie session) is marked degraded
# and taken out of rotation after ack_timeout_seconds (here 2); one whose
# sends were acknowledged is not, even when the receivers never confirm
# delivery; the zombie comes back after it reconnects.
#   instances 1, 2: normal (the simulator posts SERVER_ACK and DELIVERY_ACK
#                   to wapool's gateway callback)
#   instance 3:     the zombie (simulator knob ack=false)
#   instance 4:     outside the pool; its sends get a SERVER_ACK (posted by
#                   the test) but never a delivery: they stay "sent"
. "$(dirname "$0")/../lib.sh"

http GET /healthz
[ "$HTTP_STATUS" = 200 ] || bail_out "the web server does not answer /healthz ($HTTP_STATUS): gateway callbacks need it"

DW_POOL_MEMBERS=3 dw_world 4
dw_knobs 3 '{"ack":false}' && dw_knobs 4 '{"ack":false}'
zombie=${DW_ID[3]}
zname=${DW_NAME[3]}

# The ack check looks at every instance: put back any other instance it
# degrades meanwhile (the demo's instances get no acknowledgements).
others_ok=$(db "SELECT GROUP_CONCAT(id) FROM instances WHERE health = 'ok'
	AND deleted_at IS NULL AND (tenant_id IS NULL OR tenant_id <> $DW_TENANT_ID)")
t_start=$(db "SELECT NOW(6)")
if [ -n "$others_ok" ] && [ "$others_ok" != NULL ]; then
	at_exit "db \"UPDATE instances SET health = 'ok' WHERE id IN ($others_ok) AND health = 'degraded';
		DELETE FROM alerts WHERE kind = 'instance_degraded' AND instance_id IN ($others_ok)
		AND created_at >= '$t_start'\""
fi

dw_env ack_timeout_seconds=2 health_interval=1
dw_start || bail_out "wapoold does not start"

# --- instance 4: acknowledged by the server, never delivered ------------------

# server_ack BATCH-WHERE: post SERVER_ACK for the batch's message, as the gateway would.
server_ack() {
	local gid rcpt
	read -r gid rcpt < <(db "SELECT gateway_message_id, SUBSTRING(recipient, 2) FROM messages WHERE $1")
	dw_callback 4 messages.update "{\"keyId\":\"$gid\",\"remoteJid\":\"$rcpt@s.whatsapp.net\",\"fromMe\":true,\"participant\":null,\"status\":\"SERVER_ACK\",\"instanceId\":\"x\",\"messageId\":\"x\"}"
	[ "$HTTP_STATUS" = 200 ] || diag "callback answered $HTTP_STATUS: $HTTP_BODY"
}
dw_insert 1 "instance_id=${DW_ID[4]}"
a=$DW_WHERE
wait_until 10 "[ \"\$(dw_count \"$a AND $DW_SENT\")\" = 1 ]"
server_ack "$a"
dw_insert 1 "instance_id=${DW_ID[4]}"
b=$DW_WHERE
wait_until 10 "[ \"\$(dw_count \"$b AND $DW_SENT\")\" = 1 ]"
server_ack "$b"
is "$(dw_count "($a OR $b) AND state = 'sent'")" 2 \
	"${DW_NAME[4]}: two sends acknowledged by the server, never delivered (still sent)"
isnt "$(db "SELECT COALESCE(last_ack_at, 'none') FROM instances WHERE id = ${DW_ID[4]}")" none \
	"the acknowledgement is stamped on the instance"

# --- the pool: the zombie is found out ---------------------------------------------

dw_insert 9
b_first=$DW_WHERE
wait_until 15 "[ \"\$(dw_count \"$b_first AND $DW_SENT\")\" = 9 ]"
is "$(dw_count "$b_first AND $DW_SENT")" 9 "9 messages to the pool are sent, 3 through each instance"
wait_until 10 "[ \"\$(dw_count \"$b_first AND state = 'delivered'\")\" = 6 ]"
is "$(dw_count "$b_first AND state = 'delivered' AND sent_instance_id <> $zombie")" 6 \
	"the 6 sent by the healthy instances are delivered (acknowledged through the callback)"
is "$(dw_count "$b_first AND state = 'sent' AND sent_instance_id = $zombie")" 3 \
	"the zombie's 3 stay sent: no acknowledgement ever comes"

t0=$SECONDS
wait_until 15 "[ \"\$(db \"SELECT health FROM instances WHERE id = $zombie\")\" = degraded ]"
is "$(db "SELECT health, state FROM instances WHERE id = $zombie" | tr '\t' ' ')" "degraded connected" \
	"$zname, still \"connected\", is marked degraded ($((SECONDS - t0)) s after its sends)"
like "$(dw_log 1)" "$zname claim to be connected but their sends are not acknowledged" \
	"the daemon logged it"
is "$(db "SELECT COUNT(*) FROM alerts WHERE kind = 'instance_degraded' AND instance_id = $zombie")" 1 \
	"an instance_degraded alert is raised"
is "$(db "SELECT GROUP_CONCAT(health ORDER BY id) FROM instances WHERE id IN (${DW_ID[1]}, ${DW_ID[2]})")" \
	"ok,ok" "the acknowledged instances stay ok"
is "$(db "SELECT health FROM instances WHERE id = ${DW_ID[4]}")" ok \
	"${DW_NAME[4]} stays ok: its sends were acknowledged, only their delivery is missing"

sends3=$(dw_sends 3 | wc -l)
dw_insert 10
wait_until 15 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 10 ]"
is "$(dw_count "$DW_WHERE AND $DW_SENT")" 10 "10 more messages are sent"
is "$(db "SELECT GROUP_CONCAT(n) FROM (SELECT COUNT(*) n FROM messages WHERE $DW_WHERE
	GROUP BY sent_instance_id) x")" "5,5" "all by the two healthy instances, 5 each"
is "$(dw_sends 3 | wc -l)" "$sends3" "the simulator accepted nothing more from $zname"

# --- the zombie session is restarted: it comes back -----------------------------

dw_knobs 3 '{"ack":true,"disconnect":true}'
wait_until 10 "[ \"\$(db \"SELECT state FROM instances WHERE id = $zombie\")\" = disconnected ]"
is "$(db "SELECT state FROM instances WHERE id = $zombie")" disconnected "$zname drops its session"
dw_knobs 3 '{"disconnect":false}'
wait_until 10 "[ \"\$(db \"SELECT CONCAT(state, ' ', health) FROM instances WHERE id = $zombie\")\" = 'connected ok' ]"
is "$(db "SELECT state, health FROM instances WHERE id = $zombie" | tr '\t' ' ')" "connected ok" \
	"it reconnects: connected, and healthy again"
dw_insert 6
wait_until 15 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 6 ]"
is "$(dw_count "$DW_WHERE AND sent_instance_id = $zombie")" 2 "$zname is back in rotation: 2 of 6"
wait_until 10 "[ \"\$(dw_count \"$DW_WHERE AND state = 'delivered'\")\" = 6 ]"
is "$(dw_count "$DW_WHERE AND state = 'delivered'")" 6 "and its sends are acknowledged now"

done_testing
