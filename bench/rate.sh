#!/usr/bin/env bash
# bench/rate.sh: the rate gates under load (issue 4): three wapoold, one pool
# of 8 instances on the simulator, each instance limited to LIMIT/s.
#
#   bench/rate.sh [-l LIMIT] [-d SECONDS] [-n OVERHEAD_MESSAGES] [-r RUNS]
#
# Starts a private stack (tests/stack.sh: MariaDB, memcached -M, the
# simulator), grows the demo pool to 8 instances, spacing and typing off.
#   gated   more messages than LIMIT x 8 x SECONDS can drain are queued, three
#           wapoold run for SECONDS (default 60) with rate_mps = LIMIT
#           (default 80), then stop.  From the simulator's receive times
#           (t_us of /_sim/sends): per instance the achieved rate (sends - 1
#           over first to last send) and the largest count in any sliding
#           (closed) one-second window; from the daemons' last log line the
#           memcached round trips of the rate gates per send (rate_mc_ops).
#   overhead RUNS times (default 3), in rotating order: OVERHEAD_MESSAGES
#           (default 20,000) messages drained by the three daemons
#             off   every gate 0: no memcached call at all
#             mps   the gate this benchmark is about (mps) at a limit nothing
#                   reaches (100000/s): 2 round trips per send
#             meta  Meta's set at limits nothing reaches: mps 100000, pair
#                   100000/min, daily 100,000,000: 4 round trips per send,
#                   one of them a multi-get of the 25 hourly buckets
#           overhead = 1 - median(mps) / median(off) msg/s (target < 0.15);
#           overhead_meta likewise for the Meta set.
#
# Last line:  limit=N max_window=N achieved_ratio=R overhead=R [overhead_meta=R]
# (max_window over all instances; achieved_ratio = the lowest instance's
# achieved rate / limit).  Exit status 1 when a window exceeded the limit or
# a message was lost.  BENCH_KEEP=1 keeps the state folder.

set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

LIMIT=80 SECONDS_RUN=60 NOVER=20000 RUNS=3 NINST=8 NDAEMONS=3
usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while getopts l:d:n:r:h opt; do
	case $opt in
	l) LIMIT=$OPTARG ;; d) SECONDS_RUN=$OPTARG ;; n) NOVER=$OPTARG ;; r) RUNS=$OPTARG ;;
	*) usage ;;
	esac
done
PYTHON=$(command -v python3) || { bench_say "python3 is needed for the analysis"; exit 1; }

bench_init rate
bench_build daemon/wapoold daemon/wapoolctl tests/sim/wapool-sim
bench_machine
# The gates' own settings come per phase through the daemons' environment.
bench_core rate_mps=0 rate_pair_per_minute=0 rate_daily_limit=0 \
	spacing_min_seconds=0 spacing_max_seconds=0 typing=no \
	poll_interval_ms=50 heartbeat_interval=2 max_in_flight=256
FAILED=0

# The demo has 4 instances; the benchmark's pool has 8 (as bench/dispatch.sh).
bench_grow_demo_pool "$NINST" || exit 1

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# queue N BASE: N pending messages to the pool, recipients from BASE on.
queue() {
	bench_sql "INSERT INTO messages (tenant_id, pool_id, priority, recipient, body)
		SELECT t.id, p.id, 10, CONCAT('+551197', LPAD(s.seq + $2, 7, '0')),
		CONCAT('Olá Maria! Recebemos o pagamento do seu pedido #', s.seq + $2,
		' no valor de R\$ 189.90. Obrigado por comprar na Império!')
		FROM seq_1_to_$1 s
		JOIN tenants t ON t.slug = 'imperio'
		JOIN pools p ON p.tenant_id = t.id AND p.name = 'imperio-webhook'" || exit 1
}

# daemons_start KEY=VALUE...: the three daemons with these settings.
daemons_start() {
	local n kv
	local -a envs=()
	for kv in "$@"; do envs+=("WAPOOL_${kv%%=*}=${kv#*=}"); done
	for n in $(seq 1 "$NDAEMONS"); do
		( [ ${#envs[@]} -eq 0 ] || export "${envs[@]}"; stack_start_daemon "$n" ) || exit 1
	done
}

daemons_stop() {
	local n
	for n in $(seq 1 "$NDAEMONS"); do stack_stop_daemon "$n"; done
}

# --- gated: LIMIT/s per instance for SECONDS ---------------------------------
for n in $(seq 1 "$NDAEMONS"); do : > "$STATE/logs/wapoold-$n.log"; done
total=$((LIMIT * NINST * SECONDS_RUN * 12 / 10 + 1000))
queue "$total" 1000000
echo "gated: $NDAEMONS daemons, $NINST instances at $LIMIT/s each, ${SECONDS_RUN} s ($total queued)"
daemons_start RATE_MPS="$LIMIT"
bench_bg sleep "$SECONDS_RUN"
daemons_stop
sent=$(bench_sql "SELECT COUNT(*) FROM messages WHERE recipient LIKE '+551197%' AND state = 'sent'")
ops=0 dsent=0
for n in $(seq 1 "$NDAEMONS"); do
	line=$(grep 'stopped after' "$STATE/logs/wapoold-$n.log" | tail -n 1)
	s=$(printf '%s\n' "$line" | sed -n 's/.*stopped after \([0-9]*\) send(s).*/\1/p')
	o=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) memcached round trip(s).*/\1/p')
	dsent=$((dsent + ${s:-0})) ops=$((ops + ${o:-0}))
done
: > "$STATE/sends.json"
for i in $(seq 1 "$NINST"); do
	curl -sS "$SIM_URL/_sim/sends?instance=imperio-webhook-$i" -H "apikey: $SIM_API_KEY" \
		>> "$STATE/sends.json" || exit 1
	echo >> "$STATE/sends.json"
done
gline=$("$PYTHON" - "$STATE/sends.json" "$LIMIT" << 'PYEOF'
import json, sys
limit = int(sys.argv[2])
worst_ratio, worst_window, total = None, 0, 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    sends = [s for s in json.loads(line)["sends"] if s.get("kind", "text") == "text"]
    if not sends:
        continue
    name = sends[0]["instance"]
    t = sorted(s["t_us"] for s in sends)
    total += len(t)
    best, j = 0, 0
    for i in range(len(t)):
        while j < len(t) and t[j] - t[i] <= 1000000:   # closed window [t, t + 1 s]
            j += 1
        best = max(best, j - i)
    rate = (len(t) - 1) / ((t[-1] - t[0]) / 1e6) if len(t) > 1 else 0
    g = sorted(b - a for a, b in zip(t, t[1:]))
    print("  %s: %d sends, achieved %.2f/s (%.1f %% of %d), largest 1 s window %d, gaps ms p1 %.1f p50 %.1f"
          % (name, len(t), rate, 100 * rate / limit, limit, best,
             g[len(g) // 100] / 1e3 if g else 0, g[len(g) // 2] / 1e3 if g else 0), file=sys.stderr)
    worst_window = max(worst_window, best)
    r = rate / limit
    worst_ratio = r if worst_ratio is None else min(worst_ratio, r)
print("max_window=%d achieved_ratio=%.3f sim_sends=%d" % (worst_window, worst_ratio or 0, total))
PYEOF
) || exit 1
max_window=$(bench_field "$gline" max_window)
ratio=$(bench_field "$gline" achieved_ratio)
sim_sends=$(bench_field "$gline" sim_sends)
ops_per_send=$(awk -v o="$ops" -v s="$dsent" 'BEGIN { printf "%.2f", (s > 0 ? o / s : 0) }')
echo "gated: $sent sent in the DB, $sim_sends at the simulator, $dsent by the daemons;" \
	"largest 1 s window $max_window (limit $LIMIT); lowest achieved ratio $ratio;" \
	"rate gates: $ops memcached round trips = $ops_per_send per send"
[ "$sent" = "$sim_sends" ] || { echo "FAILED: the database and the simulator disagree"; FAILED=1; }
[ "$max_window" -le "$LIMIT" ] || { echo "FAILED: a sliding second held $max_window > $LIMIT"; FAILED=1; }
# What is left must not be sent by the next phase.
bench_sql "UPDATE messages SET state = 'cancelled' WHERE state IN ('pending', 'sending')" || exit 1

# --- overhead: gates at an unreachable limit vs gates off ---------------------
declare -a OFF MPS META
drain() {	# drain RUN MODE
	local run=$1 mode=$2 base t0 t1 left deadline mps k
	case $mode in off) k=0 ;; mps) k=1 ;; *) k=2 ;; esac
	base=$(( (run * 3 + k) * 1000000 + 10000000 ))
	queue "$NOVER" "$base"
	t0=$(now_ms)
	case $mode in
	off) daemons_start ;;
	mps) daemons_start RATE_MPS=100000 ;;
	meta) daemons_start RATE_MPS=100000 RATE_PAIR_PER_MINUTE=100000 RATE_DAILY_LIMIT=100000000 ;;
	esac
	deadline=$((t0 + 180000))
	while :; do
		left=$(bench_sql "SELECT COUNT(*) FROM messages WHERE state IN ('pending', 'sending')")
		[ "$left" = 0 ] && break
		if [ "$(now_ms)" -gt "$deadline" ]; then
			bench_say "drain $run $mode: not done after 180 s"
			FAILED=1
			break
		fi
		bench_nap 0.02
	done
	t1=$(now_ms)
	daemons_stop
	mps=$(awk -v n="$NOVER" -v ms="$((t1 - t0))" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
	case $mode in off) OFF+=("$mps") ;; mps) MPS+=("$mps") ;; *) META+=("$mps") ;; esac
	printf 'overhead run %s, gates %-4s: %s messages in %.3f s = %s msg/s\n' "$run" "$mode" \
		"$NOVER" "$(awk -v ms="$((t1 - t0))" 'BEGIN { print ms / 1000 }')" "$mps"
}
for run in $(seq 1 "$RUNS"); do
	# Rotate the order, so a drifting machine load favours none.
	case $((run % 3)) in
	1) drain "$run" off; drain "$run" mps; drain "$run" meta ;;
	2) drain "$run" mps; drain "$run" meta; drain "$run" off ;;
	0) drain "$run" meta; drain "$run" off; drain "$run" mps ;;
	esac
done
off=$(bench_median "${OFF[@]}") on=$(bench_median "${MPS[@]}") meta=$(bench_median "${META[@]}")
overhead=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", (b > 0 ? 1 - a / b : 0) }')
overhead_meta=$(awk -v a="$meta" -v b="$off" 'BEGIN { printf "%.3f", (b > 0 ? 1 - a / b : 0) }')
lost=$(bench_sql "SELECT COUNT(*) FROM messages WHERE state NOT IN ('sent', 'cancelled')")
[ "$lost" = 0 ] || { echo "FAILED: $lost message(s) neither sent nor cancelled"; FAILED=1; }

echo
echo "medians of $RUNS run(s): gates off $off msg/s; mps gate at an unreachable limit $on msg/s," \
	"overhead $overhead (target < 0.15); Meta set (mps + pair + daily) $meta msg/s, overhead" \
	"$overhead_meta"
echo "  targets: max_window <= $LIMIT, achieved_ratio >= 0.90, overhead < 0.15"
printf 'limit=%s max_window=%s achieved_ratio=%s overhead=%s overhead_meta=%s\n' "$LIMIT" \
	"$max_window" "$ratio" "$overhead" "$overhead_meta"
exit "$FAILED"
