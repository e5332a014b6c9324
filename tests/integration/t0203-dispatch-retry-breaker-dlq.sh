#!/usr/bin/env bash
# t0203-dispatch-retry-breaker-dlq.sh: an instance whose gateway answers 500
# to every send.
#   - a message that names it retries with decorrelated-jitter delays
#     (each between retry_base_ms and 3x the previous one, the gap between
#     attempts at least the delay) and ends dead (the DLQ) after max_attempts;
#   - messages to the pool: the failures spend an attempt, the instance's
#     breaker opens (failure rate over breaker_min_calls sends), the other
#     instances carry the load, nothing is lost;
#   - the instance recovers; retry_dlq (the queue API, else wapoolctl) brings
#     the dead message back, the breaker lets a probe through, the message is
#     sent by that instance, the breaker closes and the instance is used
#     again.
. "$(dirname "$0")/../lib.sh"

base=300
cap=3000
dw_world 3
dw_env retry_base_ms=$base retry_cap_ms=$cap breaker_min_calls=4 breaker_failure_rate=0.5 \
	breaker_window_seconds=30 breaker_open_seconds=2 breaker_probes=1
dw_start || bail_out "wapoold does not start"
bad=${DW_ID[1]}
bad_name=${DW_NAME[1]}
dw_knobs 1 '{"error_rate":1,"error_status":500}'

# --- an always-failing send ends dead, with growing delays -------------------

dw_insert 1 "instance_id=$bad" max_attempts=3
dead_id=$(db "SELECT id FROM messages WHERE $DW_WHERE")
# Watch the row: one line "attempts backoff state t_ms" per change.
: > "$TEST_TMP/attempts.txt"
last=
end=$((SECONDS + 30))
while [ $SECONDS -lt $end ]; do
	row=$(db "SELECT attempts, last_backoff_ms, state FROM messages WHERE id = $dead_id" | tr '\t' ' ')
	if [ "$row" != "$last" ]; then
		echo "$row $(( ${EPOCHREALTIME/./} / 1000 ))" >> "$TEST_TMP/attempts.txt"
		last=$row
	fi
	case $row in *dead|*sent|*failed) break ;; esac
	sleep 0.02
done
diag "attempts, delay, state, time: $(grep -v sending "$TEST_TMP/attempts.txt" | paste -sd'|')"
is "$(db "SELECT state, attempts FROM messages WHERE id = $dead_id" | tr '\t' ' ')" "dead 3" \
	"a message that only $bad_name may send ends dead after its 3 attempts"
like "$(db "SELECT last_error FROM messages WHERE id = $dead_id")" "gateway error 500" \
	"last_error keeps the gateway's answer"
d1=$(awk '$1 == 1 && $3 == "pending" { print $2; exit }' "$TEST_TMP/attempts.txt")
t1=$(awk '$1 == 1 && $3 == "pending" { print $4; exit }' "$TEST_TMP/attempts.txt")
d2=$(awk '$1 == 2 && $3 == "pending" { print $2; exit }' "$TEST_TMP/attempts.txt")
t2=$(awk '$1 == 2 && $3 == "pending" { print $4; exit }' "$TEST_TMP/attempts.txt")
t3=$(awk '$3 == "dead" { print $4; exit }' "$TEST_TMP/attempts.txt")
if [ -n "$d1" ] && [ -n "$d2" ] && [ -n "$t3" ]; then
	check "first retry delay $d1 ms is within [base $base, 3 x base]" \
		test "$d1" -ge "$base" -a "$d1" -le $((3 * base))
	check "second retry delay $d2 ms is within [base, min(cap, 3 x $d1)]" \
		test "$d2" -ge "$base" -a "$d2" -le $((3 * d1 < cap ? 3 * d1 : cap))
	# The watch may see a change up to one poll late, and a poll (a client
	# process and 20 ms) took 90 ms on a loaded 2-CPU machine: 150 ms of
	# slack, well under the 300 ms base delay a retry without one would miss.
	check "the second attempt waited its delay ($((t2 - t1)) ms >= $d1 ms)" test $((t2 - t1 + 150)) -ge "$d1"
	check "the third attempt waited its delay ($((t3 - t2)) ms >= $d2 ms)" test $((t3 - t2 + 150)) -ge "$d2"
else
	not_ok "both retries observed" "$(cat "$TEST_TMP/attempts.txt")"
fi

# --- the pool: the breaker opens, the others carry the load ------------------

dw_insert 30
b_pool=$DW_BATCH
wait_until 30 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 30 ]" ||
	diag "$(dw_q "SELECT state, wait_reason, last_error, COUNT(*) FROM messages WHERE $DW_WHERE GROUP BY 1, 2, 3")"
is "$(dw_count "$DW_WHERE AND $DW_SENT")" 30 "30 messages to the pool are all sent"
is "$(dw_count "$DW_WHERE AND sent_instance_id = $bad")" 0 "none of them by $bad_name"
failed_once=$(dw_count "$DW_WHERE AND attempts >= 2")
check "the sends $bad_name failed spent an attempt and were retried elsewhere ($failed_once message(s))" \
	test "$failed_once" -ge 1
is "$(dw_count "$DW_WHERE AND last_error LIKE 'gateway error 500%' AND attempts < 2")" 0 \
	"a message that met the 500 has attempts >= 2"
read -r bstate btrips < <(db "SELECT breaker_state, breaker_trips FROM instances WHERE id = $bad")
is "$bstate" open "the breaker of $bad_name is open in the database"
check "breaker_trips is at least 1 ($btrips)" test "${btrips:-0}" -ge 1
like "$(dw_log 1)" "instance $bad_name: breaker opened" "the daemon logged the breaker opening"
eval "$(dw_tally "$DW_WHERE")"
is "$T_once/$T_missing/$T_dups/$T_mismatch" "30/0/0/0" \
	"the simulator accepted each exactly once, from the instance the database names"
sends_bad=$(dw_sends 1 | wc -l)
is "$sends_bad" 0 "the simulator accepted nothing from $bad_name"

# --- recovery: retry_dlq, a probe, the breaker closes -------------------------

dw_knobs 1 '{"error_rate":0}'
http POST /api/whatsapp/queue/stats -H "Authorization: Bearer $API_KEY" \
	--data "{\"action\":\"retry_dlq\",\"queue\":\"webhooks\",\"jobId\":$dead_id}"
if [ "$HTTP_STATUS" = 200 ]; then
	ok "POST /api/whatsapp/queue/stats retry_dlq for message $dead_id answers 200"
else
	diag "the queue API answered $HTTP_STATUS ($HTTP_BODY); trying wapoolctl queue retry-dlq"
	if wapoolctl queue retry-dlq --id "$dead_id" > "$TEST_TMP/retry.out" 2>&1; then
		ok "wapoolctl queue retry-dlq --id $dead_id"
	else
		not_ok "retry_dlq through the queue API or wapoolctl" "$(tail -n 3 "$TEST_TMP/retry.out")"
		# What retry_dlq does, so that the recovery is still checked.
		db "UPDATE messages SET state = 'pending', attempts = 0, not_before = NOW(6)
			WHERE id = $dead_id AND state = 'dead'"
	fi
fi
wait_until 20 "[ \"\$(dw_count \"id = $dead_id AND $DW_SENT\")\" = 1 ]" ||
	diag "$(db "SELECT state, attempts, wait_reason, last_error FROM messages WHERE id = $dead_id")"
is "$(db "SELECT state IN ('sent', 'delivered', 'read'), sent_instance_id, attempts
	FROM messages WHERE id = $dead_id" | tr '\t' ' ')" "1 $bad 1" \
	"the message from the DLQ is sent by $bad_name once it recovers, with a fresh attempt count"
eval "$(dw_tally "id = $dead_id")"
is "$T_once/$T_mismatch" "1/0" "the simulator accepted it once, from $bad_name"
wait_until 10 "[ \"\$(db \"SELECT breaker_state FROM instances WHERE id = $bad\")\" = closed ]"
is "$(db "SELECT breaker_state FROM instances WHERE id = $bad")" closed \
	"the successful probe closed the breaker"
# The probe was the message from the DLQ; with the breaker closed the
# instance takes its share again.
dw_insert 9
wait_until 20 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 9 ]"
is "$(dw_count "$DW_WHERE AND sent_instance_id = $bad")" 3 "$bad_name is back in rotation: 3 of 9"

done_testing
