#!/usr/bin/env bash
# t0204-dispatch-permanent.sh: permanent errors end a message at once.
#   - a number that is not on WhatsApp (the gateway's 400 with
#     exists:false): failed, "number is not on WhatsApp", one attempt, one
#     request to the gateway, never accepted;
#   - a text the gateway refuses as a bad request (blank): failed with the
#     gateway's reason, no retry;
#   - neither counts against the instance: with breaker_min_calls 3, six
#     permanent failures leave its breaker closed and the next messages go.
. "$(dirname "$0")/../lib.sh"

dw_world 2
dw_env breaker_min_calls=3 breaker_failure_rate=0.5 retry_base_ms=50
dw_start || bail_out "wapoold does not start"

# Recipients 1..4 of the next batch are not on WhatsApp on both instances.
first=$DW_NEXT_RCPT
missing=()
for i in 0 1 2 3; do
	missing+=("\"55219$(printf '%08d' $((first + i)))\"")
done
knob="{\"not_on_whatsapp\":[$(IFS=,; echo "${missing[*]}")]}"
dw_knobs 1 "$knob" && dw_knobs 2 "$knob"
sim_get /_sim/stats
errors_before=$(json_get errors_total)

dw_insert 6
b_missing=$DW_BATCH
dw_insert 2 "body=' '"
b_blank=$DW_BATCH
where="($(dw_batch $b_missing) OR $(dw_batch $b_blank))"
wait_until 20 "[ \"\$(dw_count \"$where AND state IN ('sent', 'delivered', 'read', 'failed', 'dead')\")\" = 8 ]" ||
	diag "$(dw_q "SELECT state, wait_reason, last_error, COUNT(*) FROM messages WHERE $where GROUP BY 1, 2, 3")"

first_missing=$(printf '+55219%08d' "$first")
last_missing=$(printf '+55219%08d' $((first + 3)))
in_missing="recipient BETWEEN '$first_missing' AND '$last_missing'"
is "$(dw_count "$(dw_batch $b_missing) AND $in_missing AND state = 'failed'")" 4 \
	"4 messages to numbers not on WhatsApp end failed"
is "$(db "SELECT DISTINCT last_error FROM messages WHERE $(dw_batch $b_missing) AND $in_missing")" \
	"number is not on WhatsApp" "... with the reason \"number is not on WhatsApp\""
is "$(db "SELECT GROUP_CONCAT(DISTINCT attempts) FROM messages WHERE $(dw_batch $b_missing) AND $in_missing")" 1 \
	"... after one attempt (no retries)"
is "$(dw_count "$(dw_batch $b_missing) AND $in_missing AND finished_at IS NULL")" 0 "... with finished_at set"
is "$(dw_count "$(dw_batch $b_missing) AND NOT ($in_missing) AND $DW_SENT")" 2 \
	"the 2 other messages of the batch are sent"

is "$(dw_count "$(dw_batch $b_blank) AND state = 'failed' AND attempts = 1")" 2 \
	"2 blank texts end failed after one attempt"
like "$(db "SELECT DISTINCT last_error FROM messages WHERE $(dw_batch $b_blank)")" \
	"gateway refused the message \\(400\\).*Text is required" "... with the gateway's reason"

# Each failed message cost exactly one gateway request: the simulator's
# error count grew by 6 (4 unknown numbers, 2 blank texts) and stays there.
sim_get /_sim/stats
is "$(( $(json_get errors_total) - errors_before ))" 6 \
	"the gateway saw exactly one request per failed message (6 errors)"
dw_sends > "$TEST_TMP/sends.txt"
is "$(awk -v a="${first_missing#+}" -v b="${last_missing#+}" '$1 >= a && $1 <= b' "$TEST_TMP/sends.txt" | wc -l)" 0 \
	"the simulator accepted nothing for the numbers not on WhatsApp"

is "$(db "SELECT GROUP_CONCAT(DISTINCT breaker_state) FROM instances WHERE id IN (${DW_ID[1]}, ${DW_ID[2]})")" \
	closed "permanent errors are not the instance's fault: both breakers stay closed"
dw_insert 6
wait_until 20 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 6 ]"
is "$(db "SELECT GROUP_CONCAT(n) FROM (SELECT COUNT(*) n FROM messages WHERE $DW_WHERE
	AND $DW_SENT GROUP BY sent_instance_id) x")" "3,3" "both instances keep sending: 6 more, 3 each"
sim_get /_sim/stats
is "$(( $(json_get errors_total) - errors_before ))" 6 "no failed message was tried again meanwhile"

done_testing
