#!/usr/bin/env bash
# t0211-dispatch-mariadb-restart.sh: MariaDB is restarted in the middle of a
# 2,000-message run.  The daemon notices, keeps the outcomes of the sends
# that finish meanwhile, claims nothing while the database is away,
# reconnects when it is back and writes them: every message ends sent,
# none lost, and none sent twice (the outcomes are written before any lease
# of its own could be recovered, even though the outage outlasts the lease).
. "$(dirname "$0")/../lib.sh"

total=2000
in_flight=32
max_leases=64
dw_world 4 round_robin nohooks
for k in 1 2 3 4; do dw_knobs "$k" '{"latency_ms":30}'; done
# A lease shorter than the outage: the daemon must not recover (and resend)
# its own messages before writing what it knows about them.
dw_env max_in_flight=$in_flight max_leases=$max_leases lease_seconds=5 recover_interval=1
dw_start || bail_out "wapoold does not start"
dw_insert $total
run=$DW_WHERE

at_exit 'stack_start_mariadb > /dev/null 2>&1'
wait_until 30 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" -ge 300 ]"
t0=${EPOCHREALTIME/./}
stack_stop_mariadb
stopped=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
accepted_at_stop=$(dw_sends | wc -l)
# Keep it away so that, with the restart, it is back after the lease (5 s)
# of the last claims has expired.
while [ $(( (${EPOCHREALTIME/./} - t0) / 1000 )) -lt 3500 ]; do sleep 0.1; done
check "the daemon is still running without its database" test -n "$(dw_pid 1)"
accepted_while_down=$(( $(dw_sends | wc -l) - accepted_at_stop ))
# What it holds leased (the sends in flight and the batch claimed behind
# them, at most max_leases) may still go out; nothing more.
check "while the database is away nothing new is claimed: at most the $max_leases messages it held leased went out ($accepted_while_down)" \
	test "$accepted_while_down" -le $max_leases
if stack_start_mariadb > "$TEST_TMP/mariadb.out" 2>&1; then
	ok "MariaDB is back ($(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms after the stop began; stopping took $stopped ms)"
else
	bail_out "MariaDB does not start again: $(cat "$TEST_TMP/mariadb.out")"
fi

wait_until 60 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" = $total ]" ||
	diag "$(dw_q "SELECT state, wait_reason, COUNT(*) FROM messages WHERE $run GROUP BY 1, 2")"
is "$(dw_count "$run AND $DW_SENT")" $total "the daemon reconnected: all $total messages are sent"
like "$(dw_log 1)" "database unreachable" "it logged the outage"
like "$(dw_log 1)" "database reachable again" "... and the reconnection"
eval "$(dw_tally "$run")"
diag "MariaDB restart: $T_dups duplicate(s), $T_missing missing, $accepted_while_down send(s) finished while it was away"
is "$T_rows/$T_missing" "$total/0" "the simulator's record: no message lost"
is "$T_dups" 0 "no message was sent twice: the outcomes kept in memory were written"
is "$T_mismatch" 0 "every row names the instance and gateway id the simulator accepted"
is "$(dw_count "$run AND attempts <> 1")" 0 "each message spent exactly one attempt"

done_testing
