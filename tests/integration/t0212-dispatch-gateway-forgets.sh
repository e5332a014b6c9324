#!/usr/bin/env bash
# t0212-dispatch-gateway-forgets.sh: an instance the gateway no longer knows.
# Evolution answers a send to a deleted instance with a 404 whose message
# quotes the instance's name: "instance cannot send (404): The "..."
# instance does not exist" is longer than wait_reason's 64 characters.
# The outcome batch carrying it, and the sends of the other instance in
# the same batch, must still be written (a strict server refused the whole
# batch, at every retry, while the leases were extended for ever):
#   - every message ends sent, through the instance the gateway knows;
#   - the messages that met the 404 waited without spending an attempt,
#     their reason cut to the column;
#   - the daemon never reports the database refusing or unreachable.
. "$(dirname "$0")/../lib.sh"

dw_world 2
# Health checks far apart and a breaker that does not trip: the sends, not
# a check, meet the 404, and keep meeting it.
dw_env health_interval=3600 no_instance_delay_ms=100 breaker_min_calls=1000
dw_start || bail_out "wapoold does not start"

sim_delete "/_sim/instances/${DW_NAME[1]}"
case $HTTP_STATUS in 2??) ok "the simulator forgot ${DW_NAME[1]}" ;;
*) not_ok "the simulator forgot ${DW_NAME[1]}" "answered $HTTP_STATUS: $HTTP_BODY" ;; esac

dw_insert 8
wait_until 20 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 8 ]" ||
	diag "$(dw_q "SELECT state, attempts, wait_reason, last_error, COUNT(*) FROM messages WHERE $DW_WHERE GROUP BY 1, 2, 3, 4")"
is "$(dw_count "$DW_WHERE AND $DW_SENT")" 8 "all 8 messages are sent"
is "$(db "SELECT GROUP_CONCAT(DISTINCT sent_instance_id) FROM messages WHERE $DW_WHERE")" "${DW_ID[2]}" \
	"... all through the instance the gateway knows"
is "$(db "SELECT GROUP_CONCAT(DISTINCT attempts) FROM messages WHERE $DW_WHERE")" 1 \
	"the 404s spent no attempt: one each, the send that went through"
dw_sends > "$TEST_TMP/sends.txt"
is "$(grep -c "$DW_TAG" "$TEST_TMP/sends.txt")" 8 "the simulator accepted each message once"

# A message that meets the 404 and has nowhere else to go keeps waiting,
# and says why within the column.
wapoolctl instance suspend "${DW_NAME[2]}" > "$TEST_TMP/suspend.out" 2>&1 ||
	diag "suspend: $(cat "$TEST_TMP/suspend.out")"
# The daemon rereads instances every second (RELOAD_INTERVAL_MS).
sleep 1.5
dw_insert 1
# Each claim clears wait_reason: read the row whole, as it waits.
row=
wait_until 10 "row=\$(db \"SELECT state, attempts, CHAR_LENGTH(wait_reason) <= 64, wait_reason
	FROM messages WHERE $DW_WHERE AND wait_reason IS NOT NULL\"); [ -n \"\$row\" ]"
like "$row" "	instance cannot send \\(404\\)" "a message only the forgotten instance could send waits: ${row##*	}"
like "$row" "^pending	0	1	" "... pending, no attempt spent, its reason cut to the column"

log=$(dw_log)
unlike "$log" "database (unreachable|refused)" "the daemon never found the database unreachable or refusing"
unlike "$log" "Data too long" "no value was too long for its column"

# --- an outcome the server refuses ------------------------------------------
# Whatever the server will not take in one row (a trigger stands in for it,
# with a subquery of two rows for this tenant's waiting 404s) must neither
# hold the batch nor itself for ever: the row is written without its texts.
at_exit "db 'DROP TRIGGER IF EXISTS t0212_refuse'"
db "CREATE TRIGGER t0212_refuse BEFORE UPDATE ON messages FOR EACH ROW
    SET NEW.attempts = IF(NEW.tenant_id = $DW_TENANT_ID
        AND NEW.wait_reason LIKE 'instance cannot send (404)%',
        (SELECT 1 UNION SELECT 2), NEW.attempts)"
wait_until 10 "dw_log | grep -q 'the database refused its outcome'"
like "$(dw_log)" "message [0-9]+: the database refused its outcome \\(1242: .*\\); writing it without its texts" \
	"a refused outcome is logged with the server's reason"
row=
wait_until 5 "row=\$(db \"SELECT state, attempts, wait_reason IS NULL, lease_owner = '' FROM messages WHERE $DW_WHERE\"); [ \"\$row\" = 'pending	0	1	1' ]"
is "$row" "pending	0	1	1" "... and written without its texts: pending, released, no attempt spent"
db "DROP TRIGGER t0212_refuse"
wapoolctl instance resume "${DW_NAME[2]}" > "$TEST_TMP/resume.out" 2>&1 ||
	diag "resume: $(cat "$TEST_TMP/resume.out")"
wait_until 10 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 1 ]"
is "$(dw_count "$DW_WHERE AND $DW_SENT AND sent_instance_id = ${DW_ID[2]}")" 1 \
	"once another instance can take it, it is sent"

done_testing
