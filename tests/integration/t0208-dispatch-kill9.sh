#!/usr/bin/env bash
# t0208-dispatch-kill9.sh: kill -9 wapoold in the middle of a 2,000-message
# run and start it again: every message reaches sent, the simulator's record
# shows none lost, and the duplicates (messages the gateway accepted twice:
# in flight or not yet recorded at the kill, sent again once their lease
# expired) are no more than the leases the daemon held, which are at most
# max_leases (the sends in flight, the next batch claimed behind them, the
# finished ones whose outcome is being written; see claim_room in
# daemon/dispatch.c).  The number is reported.
. "$(dirname "$0")/../lib.sh"

total=2000
in_flight=64
max_leases=128
dw_world 4 round_robin nohooks
for k in 1 2 3 4; do dw_knobs "$k" '{"latency_ms":40}'; done
dw_env max_in_flight=$in_flight max_leases=$max_leases lease_seconds=5 recover_interval=1
t_start=${EPOCHREALTIME/./}
dw_start || bail_out "wapoold does not start"
dw_insert $total
run=$DW_WHERE

wait_until 30 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" -ge 400 ]"
dw_kill9 1
killed_at=${EPOCHREALTIME/./}
read -r sent_at_kill sending_at_kill < <(db "SELECT SUM($DW_SENT), SUM(state = 'sending')
	FROM messages WHERE $run")
accepted_at_kill=$(dw_sends | wc -l)
diag "at the kill: $sent_at_kill sent, $sending_at_kill leased (sending), the simulator had accepted $accepted_at_kill"
check "killed in the middle of the run ($sent_at_kill of $total sent)" \
	test "$sent_at_kill" -ge 400 -a "$sent_at_kill" -lt $total
check "the killed daemon held at most max_leases leases ($sending_at_kill <= $max_leases)" \
	test "${sending_at_kill:-0}" -le $max_leases

dw_start || bail_out "wapoold does not start again"
wait_until 60 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" = $total ]" ||
	diag "$(dw_q "SELECT state, wait_reason, COUNT(*) FROM messages WHERE $run GROUP BY 1, 2")"
t_end=${EPOCHREALTIME/./}
is "$(dw_count "$run AND $DW_SENT")" $total "after the restart every one of the $total messages is sent"
is "$(dw_count "$run AND state NOT IN ('sent', 'delivered', 'read')")" 0 "none is left pending, sending, failed or dead"
if [ "${sending_at_kill:-0}" -gt 0 ]; then
	like "$(dw_log 1)" "recovered [0-9]+ message\\(s\\) whose lease had expired" \
		"the new daemon recovered the dead one's expired leases"
else
	skip "lease recovery" "nothing was leased at the kill"
fi

eval "$(dw_tally "$run")"
diag "kill -9 result: $T_dups duplicate(s) (messages the simulator accepted twice), max_in_flight $in_flight, max_leases $max_leases, $sending_at_kill leased at the kill; run $(( (t_end - t_start) / 1000 )) ms"
is "$T_rows/$T_missing" "$total/0" "the simulator's record: no message lost"
check "duplicates ($T_dups) are no more than the leases the dead daemon held ($sending_at_kill)" \
	test "$T_dups" -le "${sending_at_kill:-0}"
is "$T_mismatch" 0 "every sent row names an instance and gateway id the simulator accepted"
is "$(dw_count "$run AND (sent_instance_id IS NULL OR gateway_message_id IS NULL OR gateway_message_id = '')")" 0 \
	"every sent row has its instance and gateway message id"
is "$(dw_count "$run AND attempts <> 1")" 0 "a recovered lease spends no attempt: each message has one"

done_testing
