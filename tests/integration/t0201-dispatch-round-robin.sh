#!/usr/bin/env bash
# t0201-dispatch-round-robin.sh: wapoold spreads a pool's messages over its
# members with the shared round-robin cursor, and a recipient sticks to the
# instance that last wrote to it.  Checked in the database and in the
# simulator's record of accepted sends.
#   - 4 webhooks (through lighttpd, the real intake) to a pool of 4: one
#     per instance, each leaving within moments of its 202;
#   - 8 messages inserted at once: two per instance;
#   - 3 more messages to a recipient already written to: all from the same
#     instance, no failover recorded;
#   - two pools whose messages alternate in the queue (4 instances and 2
#     others): each pool still rotates over all its members.
. "$(dirname "$0")/../lib.sh"

DW_POOL_MEMBERS=4 dw_world 6
dw_pool second 5 6
pool2=$DW_LAST_POOL_ID
dw_start || bail_out "wapoold does not start"
ok "wapoold started with the dispatch test settings (pid $(dw_pid 1))"

# Per instance name: how many of the sends in FILE ("number instance id t_us").
per_instance() {
	awk '{ n[$2]++ } END { for (i in n) print i, n[i] }' "$1" | sort
}

# --- 1. four webhooks, one per instance ------------------------------------

secret=$(stack_random_hex 16)
wapoolctl route add "$DW_TENANT" order_paid --pool "$DW_POOL" \
	--template 'Pedido {{id}} pago, obrigado {{billing.first_name}}!' \
	--phone-path billing.phone --key-path id --secret "$secret" > "$TEST_TMP/route.out" 2>&1 ||
	diag "route add: $(cat "$TEST_TMP/route.out")"
http GET /healthz
if [ "$HTTP_STATUS" != 200 ]; then
	skip "4 webhooks to a pool of 4 go out one per instance" "the web server does not answer /healthz ($HTTP_STATUS)"
else
	ids=()
	t_post=()
	for k in 1 2 3 4; do
		order=$(unique_id)
		sample_order "$order" |
			sed "s/\"phone\":\"(11) 98765-4321\"/\"phone\":\"(21) 99${k}00-${order: -4}\"/" \
			> "$TEST_TMP/order.json"
		t_post+=("${EPOCHREALTIME/./}")
		http POST "/webhook/$DW_TENANT/order_paid" --data-file "$TEST_TMP/order.json" \
			-H "Authorization: Bearer $secret"
		[ "$HTTP_STATUS" = 202 ] || diag "webhook $k answered $HTTP_STATUS: $HTTP_BODY"
		ids+=("$(json_get message_id)")
	done
	list=$(IFS=,; echo "${ids[*]}")
	if [[ $list =~ ^[0-9]+(,[0-9]+){3}$ ]]; then
		ok "4 webhooks accepted (messages $list)"
		wait_until 20 "[ \"\$(dw_count \"id IN ($list) AND $DW_SENT\")\" = 4 ]" ||
			diag "states: $(db "SELECT id, state, wait_reason, last_error FROM messages WHERE id IN ($list)")"
		is "$(dw_count "id IN ($list) AND $DW_SENT")" 4 "the 4 webhook messages are sent"
		is "$(db "SELECT COUNT(DISTINCT sent_instance_id) FROM messages WHERE id IN ($list)")" 4 \
			"round-robin: the 4 webhook messages left through 4 different instances"
		eval "$(dw_tally "id IN ($list)")"
		is "$T_once/$T_mismatch" "4/0" \
			"the simulator accepted each webhook message once, from the instance (and with the id) the database records"
		# Stored -> accepted by the gateway (informational; created_at and
		# the simulator's t_us are both this host's clock).
		dw_sends > "$TEST_TMP/sends.txt"
		lat=()
		for k in 0 1 2 3; do
			read -r rcpt created < <(db "SET time_zone = '+00:00'; SELECT SUBSTRING(recipient, 2),
				CAST(UNIX_TIMESTAMP(created_at) * 1000000 AS UNSIGNED) FROM messages WHERE id = ${ids[k]}")
			t_sim=$(awk -v n="$rcpt" '$1 == n { print $4; exit }' "$TEST_TMP/sends.txt")
			[ -n "$t_sim" ] && lat+=("$(( (t_sim - created) / 1000 ))")
		done
		diag "webhook stored -> gateway accepted: ${lat[*]} ms"
	else
		not_ok "4 webhooks accepted" "message ids: ${ids[*]}"
	fi
fi

# --- 2. eight messages at once: two per instance -----------------------------

dw_insert 8
wait_until 20 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 8 ]" ||
	diag "states: $(dw_q "SELECT state, COUNT(*) FROM messages WHERE $DW_WHERE GROUP BY state")"
is "$(dw_count "$DW_WHERE AND $DW_SENT")" 8 "8 messages inserted at once are all sent"
# sent_at and sent_instance_id (8 bytes each), the id and its length byte
# came out of row_reserve (80 bytes at the insert, schema/010-row-reserve.sql),
# and so did the receipts' timestamps (the simulator acks).
is "$(dw_count "$DW_WHERE AND $DW_SENT AND LENGTH(row_reserve) = 80 - 17 - LENGTH(gateway_message_id)
	- 8 * (delivered_at IS NOT NULL) - 8 * (read_at IS NOT NULL)")" 8 \
	"each send took its bytes from the row's reserve: the row kept its size"
is "$(db "SELECT GROUP_CONCAT(n ORDER BY n) FROM (SELECT COUNT(*) n FROM messages
	WHERE $DW_WHERE GROUP BY sent_instance_id) x")" "2,2,2,2" \
	"round-robin: two per instance in the database"
dw_sends > "$TEST_TMP/sends.txt"
db "SELECT SUBSTRING(recipient, 2) FROM messages WHERE $DW_WHERE" > "$TEST_TMP/batch.txt"
awk 'NR == FNR { want[$1] = 1; next } $1 in want' "$TEST_TMP/batch.txt" "$TEST_TMP/sends.txt" \
	> "$TEST_TMP/batch-sends.txt"
is "$(per_instance "$TEST_TMP/batch-sends.txt" | awk '{ print $2 }' | paste -sd,)" "2,2,2,2" \
	"round-robin: two per instance in the simulator's record"
eval "$(dw_tally "$DW_WHERE")"
is "$T_once/$T_missing/$T_dups/$T_mismatch" "8/0/0/0" \
	"each of the 8 was accepted exactly once, by the instance the database names"

# --- 3. a recipient sticks to the instance that last wrote to it ------------

read -r rcpt sticky_id < <(db "SELECT recipient, sent_instance_id FROM messages
	WHERE $DW_WHERE ORDER BY id LIMIT 1")
dw_insert 3 "recipient='$rcpt'"
wait_until 20 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 3 ]"
is "$(dw_count "$DW_WHERE AND $DW_SENT")" 3 "3 more messages to $rcpt are sent"
is "$(db "SELECT GROUP_CONCAT(DISTINCT sent_instance_id) FROM messages WHERE $DW_WHERE")" \
	"$sticky_id" "sticky: all 3 left through instance $sticky_id, which wrote to $rcpt before"
is "$(dw_count "$DW_WHERE AND failover_from_instance_id IS NOT NULL")" 0 \
	"sticky: no failover recorded"
is "$(db "SELECT instance_id FROM recipient_affinity WHERE tenant_id = $DW_TENANT_ID
	AND recipient = '$rcpt'")" "$sticky_id" "recipient_affinity names that instance"

# --- 4. two pools, their messages interleaved ---------------------------------

# Odd rows to the pool of 4, even rows to the pool of 2, in one INSERT:
# the claim takes them in this order.
dw_insert 16 "pool_id=IF(seq % 2 = 1, $DW_POOL_ID, $pool2)"
wait_until 20 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 16 ]"
is "$(dw_count "$DW_WHERE AND $DW_SENT")" 16 "16 messages alternating between two pools are sent"
is "$(db "SELECT GROUP_CONCAT(n ORDER BY n) FROM (SELECT COUNT(*) n FROM messages
	WHERE $DW_WHERE AND pool_id = $DW_POOL_ID GROUP BY sent_instance_id) x")" "2,2,2,2" \
	"the pool of 4 rotates over its 4 members (2 each), whatever the other pool takes"
is "$(db "SELECT GROUP_CONCAT(n ORDER BY n) FROM (SELECT COUNT(*) n FROM messages
	WHERE $DW_WHERE AND pool_id = $pool2 GROUP BY sent_instance_id) x")" "4,4" \
	"the pool of 2 rotates over its 2 members (4 each)"
is "$(dw_count "$DW_WHERE AND pool_id = $pool2 AND sent_instance_id NOT IN (${DW_ID[5]}, ${DW_ID[6]})")" 0 \
	"each message left through a member of its own pool"
is "$(dw_count "tenant_id = {T} AND $DW_SENT AND attempts <> 1")" 0 "every sent message spent exactly one attempt"

done_testing
