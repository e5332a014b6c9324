#!/usr/bin/env bash
# bench/intake.sh: webhook intake throughput through lighttpd, against two
# baselines measured in the same run behind the same lighttpd config and
# process count (issue 2).
#
#   bench/intake.sh [-r RUNS] [-d SECONDS] [-p PROCS] [-t THREADS] [-b BATCH]
#                   [-s "P:T P:T ..."]
#
# Starts a private stack (tests/stack.sh: MariaDB with
# innodb_flush_log_at_trx_commit=1, memcached, the simulator for the demo
# seed, lighttpd), then for each of RUNS rounds (default 3):
#   wapool    wapool.fcgi, PROCS processes (lighttpd max-procs, default 1)
#             x THREADS worker threads (fcgi_threads, default 32), group
#             commit of up to BATCH events (intake_batch_max, default 64)
#   null      bench/fcgi-null: reads the body, answers 202 (baseline a)
#   insert    bench/fcgi-insert: one prepared durable INSERT per request
#             (baseline b)
# each as wrk -t2 -c32 -d SECONDS(10) --latency after a 2 s warm-up,
# POST /webhook/imperio/order_paid with a 1.7 KiB WooCommerce order, a
# unique order id and Idempotency-Key per request, a valid Brazilian mobile
# and the route's bearer secret.  After each run the rows written are
# counted and compared with the 2xx answers wrk saw: fewer rows than 2xx
# is a lost message and fails the benchmark.
#
# -s runs a sweep instead of the headline: wapool once per P:T pair (plus
# null and insert once per distinct P), e.g. -s "1:4 2:4 2:8 4:4".
#
# Prints each run, the medians, and as its last line:
#   intake_rps=N insert_rps=N null_rps=N ratio=R null_ratio=R p99_ms=N
# (ratio = wapool / insert, null_ratio = wapool / null, medians; p99 of
# wapool).  Exit status 1 when a message was lost or wapool answered
# anything but 2xx.  BENCH_KEEP=1 keeps the state folder.

set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=3 DURATION=10 PROCS=1 THREADS=32 BATCH=64 SWEEP= CONNS=32 WARMUP=2
usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while getopts r:d:p:t:b:s:h opt; do
	case $opt in
	r) RUNS=$OPTARG ;; d) DURATION=$OPTARG ;; p) PROCS=$OPTARG ;;
	t) THREADS=$OPTARG ;; b) BATCH=$OPTARG ;; s) SWEEP=$OPTARG ;;
	*) usage ;;
	esac
done

bench_init intake
bench_build cgi/wapool.fcgi daemon/wapoolctl tests/sim/wapool-sim \
	bench/fcgi-null bench/fcgi-insert
bench_machine
bench_core
bench_order_template "$STATE/order.json"
bench_wrk_script "$STATE/order.lua"
URL=$BASE_URL/webhook/imperio/order_paid
FLUSH=$(bench_sql 'SELECT @@innodb_flush_log_at_trx_commit')
if [ "$FLUSH" != 1 ]; then
	bench_say "innodb_flush_log_at_trx_commit is $FLUSH, not 1: not durable"
	exit 1
fi
# The insert baseline's scratch table (fcgi-insert creates it too).
bench_sql "CREATE TABLE IF NOT EXISTS bench_insert (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	idem_key VARCHAR(200) NOT NULL, body MEDIUMBLOB,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	UNIQUE KEY idem_key (idem_key)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4" || exit 1
echo "payload: $(wc -c < "$STATE/order.json") bytes; wrk -t2 -c$CONNS -d${DURATION}s --latency" \
	"after a ${WARMUP} s warm-up; innodb_flush_log_at_trx_commit=$FLUSH"

WRK_RUN=0
FAILED=0

# start_web KIND PROCS THREADS: lighttpd (conf/lighttpd.conf.in) with the
# FastCGI program of KIND as its bin-path.
start_web() {
	local bin
	case $1 in
	wapool) bin=$FCGI_BIN ;;
	null) bin=$SRCDIR/bench/fcgi-null ;;
	insert) bin=$SRCDIR/bench/fcgi-insert ;;
	esac
	stack_stop_lighttpd
	stack_write_conf fcgi_threads="$3" intake_batch_max="$BATCH" || exit 1
	STACK_FCGI_PROCS=$2 STACK_FCGI_TARGET=$bin stack_start_lighttpd || exit 1
	# Let the FastCGI processes connect to the database before the clock runs.
	sleep 0.3
}

# Rows that count as "accepted" for KIND.
db_rows() {
	case $1 in
	wapool) bench_sql 'SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM webhook_events WHERE status = "accepted"), (SELECT COUNT(*) FROM webhook_events WHERE status <> "accepted")' ;;
	insert) bench_sql 'SELECT COUNT(*), COUNT(*), 0 FROM bench_insert' ;;
	null) echo "0 0 0" ;;
	esac
}

run_wrk() {
	local secs=$1 out=$2
	WRK_RUN=$((WRK_RUN + 1))
	bench_bg wrk -t2 -c"$CONNS" -d"${secs}s" --latency -s "$STATE/order.lua" "$URL" \
		-- "$WRK_RUN" "$STATE/order.json" "$ROUTE_SECRET_ORDER_PAID" > "$out" 2>&1
}

# measure KIND PROCS THREADS LABEL: one warmed-up run; sets R_RPS R_P50 R_P99.
measure() {
	local kind=$1 procs=$2 threads=$3 label=$4 out line before after ok non2xx sockerr
	local dm de dr extra note= apps c_app c_web c_db cpu
	out=$STATE/logs/wrk-$kind-p$procs-t$threads-$WRK_RUN.txt
	start_web "$kind" "$procs" "$threads"
	run_wrk "$WARMUP" "$out.warmup" || { cat "$out.warmup" >&2; exit 1; }
	# The warm-up's requests in flight at its cut are still committed: let
	# them land before counting, or they pass for extra rows of the run.
	sleep 0.5
	before=$(db_rows "$kind") || exit 1
	stack_env_load
	apps=$(bench_children "$LIGHTTPD_PID")
	# shellcheck disable=SC2086
	c_app=$(bench_cpu_ticks $apps) c_web=$(bench_cpu_ticks "$LIGHTTPD_PID")
	c_db=$(bench_cpu_ticks "$MARIADB_PID")
	run_wrk "$DURATION" "$out" || { cat "$out" >&2; exit 1; }
	# shellcheck disable=SC2086
	c_app=$(( $(bench_cpu_ticks $apps) - c_app ))
	c_web=$(( $(bench_cpu_ticks "$LIGHTTPD_PID") - c_web ))
	c_db=$(( $(bench_cpu_ticks "$MARIADB_PID") - c_db ))
	# Requests in flight when wrk stopped are still committed: let them land.
	sleep 0.5
	after=$(db_rows "$kind") || exit 1
	line=$(grep '^WRK ' "$out")
	[ -n "$line" ] || { cat "$out" >&2; bench_say "no WRK line from wrk"; exit 1; }
	local req dur
	req=$(bench_field "$line" requests)
	dur=$(bench_field "$line" duration_us)
	non2xx=$(bench_field "$line" status_errors)
	sockerr=$(( $(bench_field "$line" connect) + $(bench_field "$line" read) +
		$(bench_field "$line" write) + $(bench_field "$line" timeout) ))
	ok=$((req - non2xx))
	R_RPS=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
	R_P50=$(awk -v v="$(bench_field "$line" p50_us)" 'BEGIN { printf "%.2f", v / 1000 }')
	R_P99=$(awk -v v="$(bench_field "$line" p99_us)" 'BEGIN { printf "%.2f", v / 1000 }')
	read -r b1 b2 b3 <<< "$before"
	read -r a1 a2 a3 <<< "$after"
	dm=$((a1 - b1)) de=$((a2 - b2)) dr=$((a3 - b3))
	if [ "$kind" != null ]; then
		extra=$((dm - ok))
		if [ "$dm" -lt "$ok" ]; then
			note="; LOST $((ok - dm)) message(s): $ok 2xx but only $dm rows"
			FAILED=1
		elif [ "$extra" -gt "$CONNS" ]; then
			note="; $extra more rows than 2xx answers (more than the $CONNS in flight at the cut)"
			FAILED=1
		else
			note="; DB +$dm rows ($extra in flight at the cut)"
		fi
		if [ "$kind" = wapool ] && { [ "$de" != "$dm" ] || [ "$dr" != 0 ]; }; then
			note="$note; events: +$de accepted, +$dr rejected"
			[ "$dr" != 0 ] && FAILED=1
		fi
	fi
	# CPU per request (10 ms ticks): the FastCGI processes, lighttpd, mariadbd.
	cpu=$(awk -v a="$c_app" -v w="$c_web" -v d="$c_db" -v r="$req" 'BEGIN {
		if (r == 0) r = 1
		printf "CPU us/req: app %.0f, lighttpd %.0f, mariadbd %.0f", a * 1e4 / r, w * 1e4 / r, d * 1e4 / r }')
	if [ "$kind" = wapool ] && [ $((non2xx + sockerr)) -gt 0 ]; then
		FAILED=1
	fi
	printf '%-7s %-8s %s: %6s req/s  p50 %6s ms  p99 %6s ms  %s 2xx, %s non-2xx, %s socket errors%s; %s\n' \
		"$kind" "P=$procs T=$threads" "$label" "$R_RPS" "$R_P50" "$R_P99" "$ok" "$non2xx" \
		"$sockerr" "$note" "$cpu"
}

if [ -n "$SWEEP" ]; then
	echo "sweep: wapool.fcgi per lighttpd max-procs (P) x fcgi_threads (T), baselines per P"
	declare -A null_at insert_at
	for pt in $SWEEP; do
		p=${pt%%:*} t=${pt#*:}
		if [ -z "${null_at[$p]:-}" ]; then
			measure null "$p" 1 sweep; null_at[$p]=$R_RPS
			measure insert "$p" 1 sweep; insert_at[$p]=$R_RPS
		fi
		measure wapool "$p" "$t" sweep
		printf '  -> P=%s T=%s: %s req/s = %.2f x null, %.2f x insert, p99 %s ms\n' "$p" "$t" \
			"$R_RPS" "$(awk -v a="$R_RPS" -v b="${null_at[$p]}" 'BEGIN { print a / b }')" \
			"$(awk -v a="$R_RPS" -v b="${insert_at[$p]}" 'BEGIN { print a / b }')" "$R_P99"
	done
	exit "$FAILED"
fi

declare -a W_RPS W_P50 W_P99 N_RPS N_P50 N_P99 I_RPS I_P50 I_P99
for run in $(seq 1 "$RUNS"); do
	measure wapool "$PROCS" "$THREADS" "run $run"
	W_RPS+=("$R_RPS") W_P50+=("$R_P50") W_P99+=("$R_P99")
	measure null "$PROCS" 1 "run $run"
	N_RPS+=("$R_RPS") N_P50+=("$R_P50") N_P99+=("$R_P99")
	measure insert "$PROCS" 1 "run $run"
	I_RPS+=("$R_RPS") I_P50+=("$R_P50") I_P99+=("$R_P99")
done

w=$(bench_median "${W_RPS[@]}") n=$(bench_median "${N_RPS[@]}") i=$(bench_median "${I_RPS[@]}")
wp99=$(bench_median "${W_P99[@]}")
echo
echo "medians of $RUNS run(s), lighttpd max-procs $PROCS, wapool fcgi_threads $THREADS, intake_batch_max $BATCH:"
printf '  wapool.fcgi      %7.0f req/s  p50 %6s ms  p99 %6s ms\n' "$w" "$(bench_median "${W_P50[@]}")" "$wp99"
printf '  (a) null         %7.0f req/s  p50 %6s ms  p99 %6s ms\n' "$n" "$(bench_median "${N_P50[@]}")" "$(bench_median "${N_P99[@]}")"
printf '  (b) one INSERT   %7.0f req/s  p50 %6s ms  p99 %6s ms\n' "$i" "$(bench_median "${I_P50[@]}")" "$(bench_median "${I_P99[@]}")"
ratio=$(awk -v a="$w" -v b="$i" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
null_ratio=$(awk -v a="$w" -v b="$n" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "  targets: null_ratio >= 0.50 (got $null_ratio), p99 < 20 ms (got $wp99)"
[ "$FAILED" = 0 ] || echo "FAILED: a message was lost or wapool answered non-2xx (see above)"
printf 'intake_rps=%.0f insert_rps=%.0f null_rps=%.0f ratio=%s null_ratio=%s p99_ms=%s\n' \
	"$w" "$i" "$n" "$ratio" "$null_ratio" "$wp99"
exit "$FAILED"
