#!/usr/bin/env bash
# t0314-rate-throttle.sh: adaptive throttle.  The simulator answers 429
# beyond 5 sends a second on an instance configured for 20/s: the daemon
# halves the rate on each 429 (logged), the 429s stop, every message still
# leaves exactly once, and the throttle is visible while it lasts.
. "$(dirname "$0")/../lib.sh"

total=60
dw_world 1 round_robin nohooks
dw_knobs 1 '{"rate_limit_429":5}'
dw_env rate_mps=20 retry_base_ms=200 retry_cap_ms=1000
dw_start 1 || bail_out "wapoold 1 does not start"

sim_get /_sim/stats
errors0=$(json_get errors_total)
dw_insert $total
run=$DW_WHERE
wait_until 90 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" = $total ]" ||
	diag "$(dw_q "SELECT state, wait_reason, COUNT(*) FROM messages WHERE $run GROUP BY 1, 2")"
is "$(dw_count "$run AND $DW_SENT")" $total "all $total messages are sent"
like "$(dw_log 1)" "slow down \\(429\\): rate 1/2" "a 429 halves the instance's rate (logged)"
sim_get /_sim/stats
errors=$(( $(json_get errors_total) - errors0 ))
diag "429 answers: $errors for $total messages"
# At a steady 20/s against 5/s the 429s would never stop (3 of 4 sends);
# the throttle brings the rate under 5/s after a couple of steps.
check "the 429s stop after the rate drops ($errors < $total)" test "$errors" -lt "$total"
eval "$(dw_tally "$run")"
is "$T_once/$T_dups" "$total/0" "each message reached the simulator exactly once"

dw_stop 1
done_testing
