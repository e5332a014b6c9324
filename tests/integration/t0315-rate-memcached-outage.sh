#!/usr/bin/env bash
# t0315-rate-memcached-outage.sh: memcached killed mid-run.  The daemons
# keep sending under their in-process share of the limit (logged once,
# "degraded" in their heartbeat), and return to the shared counters when
# memcached is back; no message is lost or sent twice.
. "$(dirname "$0")/../lib.sh"

total=300
dw_world 2 round_robin nohooks
dw_env rate_mps=20
dw_start 1 || bail_out "wapoold 1 does not start"
dw_start 2 || bail_out "wapoold 2 does not start"
at_exit 'stack_alive MEMCACHED || stack_start_memcached > /dev/null 2>&1'

dw_insert $total
run=$DW_WHERE
wait_until 30 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" -ge 60 ]"
stack_stop_memcached
stack_env_load
ok "memcached stopped after $(dw_count "$run AND $DW_SENT") sends"
sent0=$(dw_count "$run AND $DW_SENT")
sleep 3
sent1=$(dw_count "$run AND $DW_SENT")
check "sending goes on without memcached ($sent0 -> $sent1)" test "$sent1" -gt "$sent0"
# Which daemon notices first depends on which held the sends at the cut:
# follow the one that did (both may).
seen=
wait_until 10 "dw_log 1 | grep -q 'rate gates: degraded' || dw_log 2 | grep -q 'rate gates: degraded'"
for n in 1 2; do
	if [ -z "$seen" ] && dw_log "$n" | grep -q 'rate gates: degraded'; then
		seen=$n
	fi
done
check "a daemon logs the degraded mode (daemon ${seen:-none})" test -n "$seen"
seen=${seen:-1}
wait_until 10 "[ \"\$(db \"SELECT COUNT(*) FROM daemons WHERE rate_gates = 'degraded'\")\" -ge 1 ]"
check "a heartbeat shows rate_gates = degraded" \
	test "$(db "SELECT COUNT(*) FROM daemons WHERE rate_gates = 'degraded'")" -ge 1

stack_start_memcached > "$TEST_TMP/mc.out" 2>&1 || bail_out "memcached does not start again: $(cat "$TEST_TMP/mc.out")"
stack_env_load
wait_until 20 "dw_log $seen | grep -q 'shared counters resumed'"
like "$(dw_log "$seen")" "shared counters resumed" "daemon $seen returns to the shared counters"
wait_until 60 "[ \"\$(dw_count \"$run AND $DW_SENT\")\" = $total ]"
is "$(dw_count "$run AND $DW_SENT")" $total "all $total messages are sent"
eval "$(dw_tally "$run")"
is "$T_once/$T_missing/$T_dups" "$total/0/0" "none lost, none sent twice"
is "$(dw_log "$seen" | grep -c 'rate gates: degraded')" 1 "the degraded mode is logged once"

dw_stop 1
dw_stop 2
done_testing
