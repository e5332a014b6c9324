#!/usr/bin/env bash
# t0310-rate-window.sh: the per-second gate holds in every sliding second at
# the gateway across several daemons.  One instance limited to 20/s, three
# wapoold drain 1,000 messages: no one-second window of the simulator's
# receive times holds more than 20 sends, and at least 90 % of the limit is
# achieved.  (RATE_TOTAL=N shortens the run.)
. "$(dirname "$0")/../lib.sh"

limit=20
total=${RATE_TOTAL:-1000}
dw_world 1 round_robin nohooks
dw_env rate_mps=$limit max_in_flight=64 claim_batch_max=50
for n in 1 2 3; do
	dw_start $n || bail_out "wapoold $n does not start"
done
ok "three daemons run, instance ${DW_NAME[1]} limited to $limit/s"

dw_insert "$total"
run=$DW_WHERE
wait_until $(( total / limit + 60 )) "[ \"\$(dw_count \"$run AND $DW_SENT\")\" = $total ]" ||
	diag "$(dw_q "SELECT state, wait_reason, COUNT(*) FROM messages WHERE $run GROUP BY 1, 2")"
is "$(dw_count "$run AND $DW_SENT")" "$total" "all $total messages are sent"
is "$(dw_count "$run AND attempts <> 1")" 0 "a closed gate spent no attempt"

dw_sends 1 > "$TEST_TMP/sends" || bail_out "no sends from the simulator"
read -r n max_window rate < <("$PYTHON" - "$TEST_TMP/sends" << 'PYEOF'
import sys
t = sorted(int(line.split()[3]) for line in open(sys.argv[1]))
best, j = 0, 0
for i in range(len(t)):
    while j < len(t) and t[j] - t[i] <= 1000000:   # closed window [t, t + 1 s]
        j += 1
    best = max(best, j - i)
rate = (len(t) - 1) / ((t[-1] - t[0]) / 1e6) if len(t) > 1 else 0
g = sorted(b - a for a, b in zip(t, t[1:]))
if g:
    q = lambda p: g[min(len(g) - 1, int(p * len(g)))] / 1000.0
    sys.stderr.write("# gaps at the gateway (ms): min %.1f p1 %.1f p5 %.1f p50 %.1f p95 %.1f max %.1f\n"
        % (g[0] / 1000.0, q(0.01), q(0.05), q(0.5), q(0.95), g[-1] / 1000.0))
print(len(t), best, "%.2f" % rate)
PYEOF
)
diag "simulator: $n sends, largest 1 s window $max_window, achieved $rate/s"
is "$n" "$total" "the simulator received each message once"
check "no sliding second at the gateway holds more than $limit ($max_window)" \
	test "$max_window" -le "$limit"
check "achieved rate $rate/s is at least 90 % of $limit/s" \
	"$PYTHON" -c "import sys; sys.exit(0 if $rate >= 0.9 * $limit else 1)"

for n in 1 2 3; do
	dw_stop $n
done
done_testing
