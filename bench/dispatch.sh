#!/usr/bin/env bash
# bench/dispatch.sh: how fast wapoold drains the queue to the gateway, against
# raw libcurl in the same run, and webhook-to-gateway latency at a steady
# rate (issue 3).
#
#   bench/dispatch.sh [-n MESSAGES] [-r RUNS] [-c RAW_CONCURRENCY]
#                     [-R RATE] [-d SECONDS]
#
# Starts a private stack (tests/stack.sh) with the rate gates off
# (rate_mps, rate_pair_per_minute, rate_daily_limit, spacing_min/max_seconds
# = 0, typing = no) and the demo pool grown to 8 instances on the simulator.
# The simulator serves from a pool of SIM_THREADS (2) epoll threads
# (wapool-sim --threads): a thread per connection would put hundreds of
# runnable threads beside the one-threaded wapoold on a 2-CPU machine,
# which a gateway on its own host never does.  During drain and raw its
# acks (messages.update webhooks) are off for every instance: they would
# go to a web server that is not running then, and both sides pay the same;
# during pace they are on and flow into wapool.fcgi as in production (the
# ack watchdog is set to a day so the drains' unacknowledged sends do not
# mark the instances degraded).
# Then, RUNS times (default 3):
#   drain  MESSAGES (20,000) pending messages inserted with one INSERT ...
#          SELECT from seq_1_to_N, then wapoold started and timed until the
#          database shows all of them 'sent' (polled every 10 ms over one
#          client connection); then wapoold is stopped
#   raw    bench/curl-blast send: the same number of sendText requests, same
#          body shape, round-robin over the same 8 instances, straight to
#          the same simulator with RAW_CONCURRENCY (default: wapoold's
#          max_in_flight, 128) keep-alive connections
# and once:
#   pace   wapoold and lighttpd + wapool.fcgi running; bench/curl-blast pace
#          posts RATE (200) webhooks/s for SECONDS (20) and joins each POST's
#          time with the simulator's receipt time (t_us in /_sim/sends) of the
#          send it caused: p50/p99 webhook POST -> gateway
# wapoold's RSS is its VmHWM (peak) from /proc/PID/status, the largest seen.
#
# Last line:  dispatch_mps=N raw_mps=N ratio=R rss_kb=N p99_ms=N
# (medians of the runs; ratio = dispatch / raw).  Exit status 1 when a
# message was lost or not sent.  BENCH_KEEP=1 keeps the state folder.
# STACK_WAPOOLD_BIN=... benchmarks another wapoold build (tests/stack.sh).

set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

N=20000 RUNS=3 RAWC= RATE=200 PACE_SECONDS=20 NINST=8
SIM_THREADS=${SIM_THREADS:-2}
usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while getopts n:r:c:R:d:h opt; do
	case $opt in
	n) N=$OPTARG ;; r) RUNS=$OPTARG ;; c) RAWC=$OPTARG ;;
	R) RATE=$OPTARG ;; d) PACE_SECONDS=$OPTARG ;; *) usage ;;
	esac
done

bench_init dispatch
if [ -n "${STACK_WAPOOLD_BIN:-}" ]; then
	bench_build cgi/wapool.fcgi daemon/wapoolctl tests/sim/wapool-sim bench/curl-blast
else
	bench_build cgi/wapool.fcgi daemon/wapoold daemon/wapoolctl tests/sim/wapool-sim \
		bench/curl-blast
fi
bench_machine
export STACK_SIM_THREADS=$SIM_THREADS
bench_core rate_mps=0 rate_pair_per_minute=0 rate_daily_limit=0 \
	spacing_min_seconds=0 spacing_max_seconds=0 typing=no ack_timeout_seconds=86400
# As many connections as wapoold keeps sends in flight (max_in_flight).
RAWC=${RAWC:-$(sed -n 's/^max_in_flight *= *//p' "$WAPOOL_CONF")}
RAWC=${RAWC:-128}
FAILED=0

# The demo has 4 instances; the benchmark's pool has 8.
bench_grow_demo_pool "$NINST" || exit 1
INSTANCES=$(seq -s, -f 'imperio-webhook-%g' 1 "$NINST")

# sim_acks true|false: the simulator's ack knob on every instance.
sim_acks() {
	local i code
	for i in $(seq 1 "$NINST"); do
		code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
			"$SIM_URL/_sim/instances/imperio-webhook-$i/knobs" \
			-H 'Content-Type: application/json' --data-raw "{\"ack\":$1}")
		case $code in 2??) ;; *) bench_say "simulator knobs: $code"; exit 1 ;; esac
	done
}
sim_acks false

# One client connection for the polling: a mariadb process every 10 ms
# would cost the machine more CPU than the thing being measured.
coproc DBQ { stack_mysql -N -B -n "$DB_NAME" 2>&1; }
# db_ask SQL: the one-line answer in $REPLY (not in $(...): a subshell
# does not get the coprocess's descriptors).
db_ask() {
	printf '%s;\n' "$1" >&"${DBQ[1]}"
	read -r -t 10 REPLY <&"${DBQ[0]}" || { bench_say "no answer from the polling client"; exit 1; }
}
members=$(bench_sql "SELECT COUNT(*) FROM pool_members m JOIN pools p ON p.id = m.pool_id WHERE p.name = 'imperio-webhook'")
echo "pool imperio-webhook: $members instances on the simulator; rate gates off; $N messages per drain"

RSS_MAX=0
note_rss() {
	local kb
	stack_alive DAEMON_1 || return 0
	kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$DAEMON_1_PID/status" 2> /dev/null)
	[ -n "$kb" ] && [ "$kb" -gt "$RSS_MAX" ] && RSS_MAX=$kb
	return 0
}

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# drain RUN: insert N pending messages, start wapoold, wait until all are sent.
declare -a D_MPS R_MPS
drain() {
	local run=$1 base first last t0 t1 left ms mps deadline simtotal c_d c_db c_sim
	base=$((run * 1000000))
	bench_sql "INSERT INTO messages (tenant_id, pool_id, priority, recipient, body)
		SELECT t.id, p.id, 10, CONCAT('+551197', LPAD(s.seq + $base, 7, '0')),
		CONCAT('Olá Maria! Recebemos o pagamento do seu pedido #', s.seq + $base,
		' no valor de R\$ 189.90. Obrigado por comprar na Império!')
		FROM seq_1_to_$N s
		JOIN tenants t ON t.slug = 'imperio'
		JOIN pools p ON p.tenant_id = t.id AND p.name = 'imperio-webhook'" || exit 1
	read -r first last <<< "$(bench_sql "SELECT MIN(id), MAX(id) FROM messages WHERE recipient LIKE '+551197%' AND state = 'pending'")"
	[ $((last - first + 1)) = "$N" ] || { bench_say "expected $N pending messages"; exit 1; }
	stack_env_load
	c_db=$(bench_cpu_ticks "$MARIADB_PID") c_sim=$(bench_cpu_ticks "$SIM_PID")
	t0=$(now_ms)
	stack_start_daemon 1 || exit 1
	deadline=$((t0 + 120000))
	# Is any of them still waiting?  One index probe, not a count: counting
	# N rows every 10 ms kept a MariaDB thread at half a CPU (perf), which
	# the daemon then did not get.  Failed ones end the wait as well and
	# are counted below.
	while :; do
		db_ask "SELECT COUNT(*) FROM (SELECT 1 FROM messages FORCE INDEX (idx_messages_claim) WHERE state IN ('pending', 'sending') AND id BETWEEN $first AND $last LIMIT 1) waiting"
		[ "$REPLY" = 0 ] && break
		if [ "$(now_ms)" -gt "$deadline" ]; then
			db_ask "SELECT COUNT(*) FROM messages WHERE id BETWEEN $first AND $last AND state = 'sent'"
			bench_say "drain $run: only $REPLY of $N sent after 120 s"
			FAILED=1
			break
		fi
		bench_nap 0.01
	done
	t1=$(now_ms)
	note_rss
	c_d=$(bench_cpu_ticks "$DAEMON_1_PID")
	c_db=$(( $(bench_cpu_ticks "$MARIADB_PID") - c_db ))
	c_sim=$(( $(bench_cpu_ticks "$SIM_PID") - c_sim ))
	stack_stop_daemon 1
	ms=$((t1 - t0))
	mps=$(awk -v n="$N" -v ms="$ms" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
	left=$(bench_sql "SELECT COUNT(*) FROM messages WHERE id BETWEEN $first AND $last AND state <> 'sent'")
	[ "$left" = 0 ] || FAILED=1
	simtotal=$(curl -sS "$SIM_URL/_sim/stats" | sed -n 's/.*"sends_total":\([0-9]*\).*/\1/p')
	D_MPS+=("$mps")
	printf 'drain  run %s: %s messages sent in %.3f s = %s msg/s (daemon start to all sent in the DB); not sent: %s; simulator total sends %s; wapoold VmHWM %s KiB; CPU us/msg: wapoold %s, mariadbd %s, simulator %s\n' \
		"$run" "$N" "$(awk -v ms="$ms" 'BEGIN { print ms / 1000 }')" "$mps" "$left" "$simtotal" "$RSS_MAX" \
		$((c_d * 10000 / N)) $((c_db * 10000 / N)) $((c_sim * 10000 / N))
}

raw() {
	local run=$1 out line
	out=$STATE/logs/curl-blast-$run.txt
	bench_bg "$SRCDIR/bench/curl-blast" send -u "$SIM_URL" -k "$SIM_API_KEY" -i "$INSTANCES" \
		-n "$N" -c "$RAWC" -I $((run * 1000000)) > "$out" 2>&1 || { cat "$out" >&2; FAILED=1; }
	line=$(grep '^raw_mps=' "$out")
	R_MPS+=("$(bench_field "$line" raw_mps)")
	printf 'raw    run %s: %s\n' "$run" "$(grep '^raw sendText' "$out")"
}

for run in $(seq 1 "$RUNS"); do
	drain "$run"
	raw "$run"
done

# Steady webhooks through lighttpd while wapoold runs (-d 0: skip).
pline="e2e_p50_ms=- e2e_p99_ms=-"
if [ "$PACE_SECONDS" != 0 ]; then
	sim_acks true
	STACK_FCGI_PROCS=${BENCH_FCGI_PROCS:-2} stack_start_lighttpd || exit 1
	stack_start_daemon 1 || exit 1
	bench_order_template "$STATE/order.json"
	out=$STATE/logs/pace.txt
	bench_bg "$SRCDIR/bench/curl-blast" pace -w "$BASE_URL/webhook/imperio/order_paid" \
		-b "$ROUTE_SECRET_ORDER_PAID" -f "$STATE/order.json" -s "$SIM_URL" -r "$RATE" \
		-d "$PACE_SECONDS" -I 5000000 -W 10 > "$out" 2>&1 || FAILED=1
	sed 's/^/pace   /' "$out" | grep -v '^pace   posted='
	pline=$(grep '^posted=' "$out")
	note_rss
	stack_stop_daemon 1
fi

d=$(bench_median "${D_MPS[@]}") r=$(bench_median "${R_MPS[@]}")
p99=$(bench_field "$pline" e2e_p99_ms)
ratio=$(awk -v a="$d" -v b="$r" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo
echo "medians of $RUNS run(s): wapoold $d msg/s, raw libcurl $r sends/s ($RAWC connections)," \
	"ratio $ratio; wapoold peak RSS $RSS_MAX KiB; webhook->gateway at $RATE/s:" \
	"p50 $(bench_field "$pline" e2e_p50_ms) ms, p99 $p99 ms"
echo "  targets: >= 7000 msg/s, ratio >= 0.50, p99 < 20 ms, RSS < 16384 KiB"
[ "$FAILED" = 0 ] || echo "FAILED: messages lost or not sent (see above)"
printf 'dispatch_mps=%.0f raw_mps=%.0f ratio=%s rss_kb=%s p99_ms=%s\n' "$d" "$r" "$ratio" "$RSS_MAX" "$p99"
exit "$FAILED"
