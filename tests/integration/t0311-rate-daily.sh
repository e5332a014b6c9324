#!/usr/bin/env bash
# t0311-rate-daily.sh: the rolling 24 h budget.  With a budget of 250 on
# one instance and two daemons, 260 messages: exactly 250 leave, the 251st
# and the rest wait (state pending, wait_reason "daily", no attempt spent).
. "$(dirname "$0")/../lib.sh"

budget=250
dw_world 1 round_robin nohooks
dw_env rate_daily_limit=$budget
dw_start 1 || bail_out "wapoold 1 does not start"
dw_start 2 || bail_out "wapoold 2 does not start"

dw_insert $((budget + 10))
run=$DW_WHERE
wait_until 60 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" -ge $budget ]" ||
	diag "$(dw_q "SELECT state, wait_reason, COUNT(*) FROM messages WHERE $run GROUP BY 1, 2")"
# Give the daemons time to try the rest (and be refused) a few times.
sleep 2
is "$(dw_count "$run AND $DW_SENT")" $budget "exactly $budget messages are sent"
is "$(dw_count "$run AND state = 'pending' AND wait_reason = 'daily'")" 10 \
	"the other 10 wait on the daily budget"
is "$(dw_count "$run AND state = 'pending' AND attempts > 0")" 0 "waiting spent no attempt"
eval "$(dw_tally "$run")"
is "$T_dups" 0 "the simulator saw no message twice"
is "$(( T_rows - T_missing ))" $budget "the simulator accepted $budget messages"

dw_stop 1
dw_stop 2
done_testing
