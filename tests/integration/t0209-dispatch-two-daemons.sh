#!/usr/bin/env bash
# t0209-dispatch-two-daemons.sh: two wapoold processes drain one queue of
# 5,000 messages at once.  SKIP LOCKED claims and guarded outcome writes
# mean each message is claimed by one daemon only: the simulator accepted
# every message exactly once, and both daemons did part of the work.
. "$(dirname "$0")/../lib.sh"

total=5000
dw_world 4 round_robin nohooks
# A little gateway latency keeps both daemons busy at the same time.
for k in 1 2 3 4; do dw_knobs "$k" '{"latency_ms":2}'; done
dw_env max_in_flight=128 claim_batch_max=100
dw_start 1 || bail_out "wapoold 1 does not start"
dw_start 2 || bail_out "wapoold 2 does not start"
ok "two daemons run (pids $(dw_pid 1) and $(dw_pid 2))"

t0=${EPOCHREALTIME/./}
dw_insert $total
run=$DW_WHERE
wait_until 90 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" = $total ]" ||
	diag "$(dw_q "SELECT state, wait_reason, COUNT(*) FROM messages WHERE $run GROUP BY 1, 2")"
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
is "$(dw_count "$run AND $DW_SENT")" $total "all $total messages are sent (in $ms ms)"
is "$(dw_count "$run AND attempts <> 1")" 0 "each with exactly one attempt"

dw_stop 1
dw_stop 2
n1=$(dw_log 1 | sed -n 's/.*stopped after \([0-9]*\) send(s).*/\1/p' | tail -n 1)
n2=$(dw_log 2 | sed -n 's/.*stopped after \([0-9]*\) send(s).*/\1/p' | tail -n 1)
diag "daemon 1 sent ${n1:-?}, daemon 2 sent ${n2:-?}"
check "both daemons sent part of the run (${n1:-?} + ${n2:-?})" test "${n1:-0}" -gt 0 -a "${n2:-0}" -gt 0
is "$(( ${n1:-0} + ${n2:-0} ))" $total "together they sent $total: no send happened twice"

eval "$(dw_tally "$run")"
is "$T_rows/$T_once/$T_missing/$T_dups" "$total/$total/0/0" \
	"the simulator accepted each of the $total messages exactly once"
is "$T_mismatch" 0 "every row names the instance and gateway id of its one send"
is "$(db "SELECT GROUP_CONCAT(n ORDER BY n) FROM (SELECT COUNT(*) n FROM messages WHERE $run
	GROUP BY sent_instance_id) x")" "1250,1250,1250,1250" \
	"the shared round-robin cursor spread them evenly over the 4 instances"

done_testing
