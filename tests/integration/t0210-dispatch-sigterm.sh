#!/usr/bin/env bash
# t0210-dispatch-sigterm.sh: stopping wapoold with sends in flight.
#   1. SIGTERM, the sends finish within shutdown_grace_seconds: the daemon
#      claims nothing more, the in-flight sends end sent, the rest stays
#      pending (never leased), the daemon exits, the next one sends the rest;
#      every message exactly once.
#   2. SIGTERM, the sends outlast the grace period: they are aborted at the
#      deadline and released (pending at once, no attempt spent), the next
#      daemon sends them.
#   3. two SIGTERMs: the daemon exits at once, its leases stay and are
#      recovered by the next daemon when they expire.
# The gateway's latency (simulator knob) keeps the sends in flight.
. "$(dirname "$0")/../lib.sh"

slots=6
dw_world 2 round_robin nohooks
dw_env max_in_flight=$slots lease_seconds=5 recover_interval=1

# stopped_within MS PID: 0 when PID is gone within MS milliseconds.
stopped_within() {
	local end=$(( ${EPOCHREALTIME/./} / 1000 + $1 ))
	while stack_proc_start "$2" > /dev/null; do
		[ $(( ${EPOCHREALTIME/./} / 1000 )) -lt "$end" ] || return 1
		sleep 0.02
	done
}

# wait_in_flight WHERE: until the daemon's $slots sends of these messages are
# on their way.  It leases up to max_leases (the next batch waits
# behind the sends) and starts the sends in the same turn it gets the claim.
wait_in_flight() {
	wait_until 10 "[ \"\$(dw_count \"$1 AND state = 'sending'\")\" -ge $slots ]"
	sleep 0.3
}

latency() {
	dw_knobs 1 "{\"latency_ms\":$1}" && dw_knobs 2 "{\"latency_ms\":$1}"
}

# --- 1. in-flight sends finish ---------------------------------------------------

latency 1500
dw_env shutdown_grace_seconds=5
dw_start || bail_out "wapoold does not start"
dw_insert 20
b1=$DW_WHERE
wait_in_flight "$b1"
pid=$(dw_pid 1)
t0=${EPOCHREALTIME/./}
kill -TERM "$pid"
stopped_within 6000 "$pid"
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
check "after SIGTERM the daemon exits once its sends are done (${ms} ms, grace 5 s)" \
	test "$ms" -lt 5000
like "$(dw_log 1)" "stopping: no new claims; $slots send\\(s\\) in flight" "it logged the stop with $slots sends in flight"
is "$(dw_count "$b1 AND $DW_SENT")" $slots "the $slots sends in flight finished: sent"
is "$(dw_count "$b1 AND state = 'pending' AND lease_owner = ''")" $((20 - slots)) \
	"the other $((20 - slots)) are pending, not leased"
is "$(dw_count "$b1 AND state = 'sending'")" 0 "nothing is left sending"
is "$(dw_sends | wc -l)" $slots "the simulator accepted exactly the $slots in flight"

latency 0
dw_start || bail_out "wapoold does not start again"
wait_until 20 "[ \"\$(dw_count \"$b1 AND $DW_SENT\")\" = 20 ]"
is "$(dw_count "$b1 AND $DW_SENT")" 20 "the next daemon sends the rest"
eval "$(dw_tally "$b1")"
is "$T_once/$T_dups/$T_mismatch" "20/0/0" "each of the 20 was accepted exactly once"
dw_stop 1

# --- 2. the grace period runs out -----------------------------------------------

latency 2500
dw_env shutdown_grace_seconds=1
dw_start || bail_out "wapoold does not start"
dw_insert 10
b2=$DW_WHERE
wait_in_flight "$b2"
# The gateway finishes an abandoned send anyway, 2.5 s after it began.
gateway_done=$(( ${EPOCHREALTIME/./} / 1000 + 2700 ))
pid=$(dw_pid 1)
t0=${EPOCHREALTIME/./}
kill -TERM "$pid"
stopped_within 3000 "$pid"
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
check "the daemon exits at the 1 s deadline, not after the 2.5 s sends (${ms} ms)" \
	test "$ms" -ge 900 -a "$ms" -lt 2000
like "$(dw_log 1)" "released $slots send\\(s\\) still in flight at the shutdown deadline" \
	"it logged the $slots released sends"
is "$(dw_count "$b2 AND state = 'pending' AND lease_owner = ''")" 10 "all 10 are pending again, none leased"
is "$(dw_count "$b2 AND wait_reason = 'released at shutdown'")" $slots \
	"the $slots aborted sends say they were released at shutdown"
is "$(dw_count "$b2 AND attempts <> 0")" 0 "releasing spends no attempt"
latency 0
dw_start || bail_out "wapoold does not start again"
wait_until 20 "[ \"\$(dw_count \"$b2 AND $DW_SENT\")\" = 10 ]"
is "$(dw_count "$b2 AND $DW_SENT AND attempts = 1")" 10 "the next daemon sends all 10, one attempt each"
while [ $(( ${EPOCHREALTIME/./} / 1000 )) -lt "$gateway_done" ]; do sleep 0.1; done
eval "$(dw_tally "$b2")"
diag "aborted sends the simulator still completed (duplicates): $T_dups"
is "$T_missing/$T_mismatch" "0/0" "none is lost"
check "duplicates ($T_dups) are no more than the $slots sends aborted" test "$T_dups" -le $slots
dw_stop 1

# --- 3. a second SIGTERM stops at once --------------------------------------------

latency 3000
dw_env shutdown_grace_seconds=30
dw_start || bail_out "wapoold does not start"
dw_insert 10
b3=$DW_WHERE
wait_in_flight "$b3"
pid=$(dw_pid 1)
t0=${EPOCHREALTIME/./}
kill -TERM "$pid"
sleep 0.2
kill -TERM "$pid" 2> /dev/null
stopped_within 2000 "$pid"
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
check "two SIGTERMs: the daemon exits at once (${ms} ms), not after its 3 s sends" test "$ms" -lt 1500
like "$(dw_log 1)" "second stop signal: exiting now" "it logged the immediate stop"
# The first signal gave back the 4 claimed behind the sends; the second left these.
is "$(dw_count "$b3 AND state = 'sending'")" $slots "its $slots leases are left behind"
latency 0
t0=${EPOCHREALTIME/./}
dw_start || bail_out "wapoold does not start again"
wait_until 20 "[ \"\$(dw_count \"$b3 AND $DW_SENT\")\" = 10 ]"
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
is "$(dw_count "$b3 AND $DW_SENT AND attempts = 1")" 10 \
	"the next daemon recovers the expired leases and sends all 10 ($ms ms, lease 5 s)"
like "$(dw_log 1)" "recovered [0-9]+ message\\(s\\) whose lease had expired" "the recovery is logged"
eval "$(dw_tally "$b3")"
diag "sends completed by the gateway after the immediate stop (duplicates): $T_dups"
is "$T_missing/$T_mismatch" "0/0" "none is lost"
check "duplicates ($T_dups) are no more than the $slots leases left behind" test "$T_dups" -le $slots

done_testing
