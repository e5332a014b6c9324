# bench/lib.sh: what bench/intake.sh and bench/dispatch.sh share.  Sourced
# (bash).  The servers come from tests/stack.sh, in a private state folder
# with free ports; everything started is stopped by the EXIT trap.
#
#   bench_init NAME       source tests/stack.sh, make $STATE (a fresh
#                         /tmp/wapool-bench-NAME.XXXXXX; BENCH_KEEP=1 keeps it
#                         afterwards), set the traps, pick the ports
#   bench_build TARGET... make the targets; if that fails (another helper's
#                         half-written file) go on with binaries that exist
#   bench_core [KEY=VALUE]...   write wapool.conf (stack_write_conf with the
#                         pairs), start MariaDB, memcached, the simulator,
#                         migrate, seed the demo
#   bench_bg CMD...       run CMD in the background, wait for it (the traps
#                         can then kill it); its status is the return code
#   bench_sql SQL         one SQL statement as root, tab-separated, no header
#   bench_nap SECONDS     sleep without starting a process (polling loops)
#   bench_machine         one line: nproc, CPU model, kernel, date
#   bench_median N...     the median of the numbers
#   bench_order_template FILE   the WooCommerce order of stack_sample_order
#                         with @ID@ and @PHONE@ placeholders (about 1.7 KiB)
#   bench_wrk_script FILE  the wrk Lua script: unique order id, phone and
#                         Idempotency-Key per request; prints one WRK line

BENCH_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=tests/stack.sh
. "$BENCH_SRCDIR/tests/stack.sh"

BENCH_CHILD=

bench_say() { printf '%s\n' "$*" >&2; }

bench_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$BENCH_CHILD" ] && kill -0 "$BENCH_CHILD" 2> /dev/null; then
		kill -TERM "$BENCH_CHILD" 2> /dev/null
		wait "$BENCH_CHILD" 2> /dev/null
	fi
	if [ -n "${STATE:-}" ] && [ -d "$STATE" ]; then
		STACK_QUIET=1 stack_stop_all > /dev/null 2>&1
		if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then
			bench_say "state and logs kept in $STATE"
		else
			rm -rf "$STATE"
		fi
	fi
	exit "$rc"
}

bench_init() {
	local name=$1 dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/wapool-bench-$name.XXXXXX") || exit 1
	export STACK_QUIET=1
	SRCDIR=$BENCH_SRCDIR
	stack_init "$dir" test || exit 1
	trap bench_cleanup EXIT
	trap 'bench_say "interrupted"; exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	stack_ports test || exit 1
}

bench_build() {
	local log=$STATE/logs/bench-build.log t missing=
	if ! (cd "$SRCDIR" && make -j2 "$@") > "$log" 2>&1; then
		for t in "$@"; do
			[ -x "$SRCDIR/$t" ] || missing="$missing $t"
		done
		if [ -n "$missing" ]; then
			tail -n 20 "$log" >&2
			bench_say "build failed and these are missing:$missing (log: $log)"
			exit 1
		fi
		bench_say "warning: make failed (log: $log); using the binaries already built"
	fi
}

bench_core() {
	stack_write_conf "$@" || exit 1
	stack_start_mariadb || exit 1
	stack_start_memcached || exit 1
	stack_start_sim || exit 1
	stack_migrate || exit 1
	stack_seed_demo || exit 1
}

bench_bg() {
	"$@" &
	BENCH_CHILD=$!
	wait "$BENCH_CHILD"
	local rc=$?
	BENCH_CHILD=
	return $rc
}

# A polling loop that ran sleep(1) every 10 ms forked 100 processes a
# second: bash and sleep then took a quarter of the 2-CPU machine during a
# drain (perf), CPU the system under test did not get and the raw baseline
# (no polling) did.  read -t on a FIFO nobody writes is a sleep inside bash.
BENCH_NAP_FD=
bench_nap() {
	if [ -z "$BENCH_NAP_FD" ]; then
		mkfifo "$STATE/nap.fifo" || return 1
		# Read-write: opening a FIFO this way never blocks.
		exec {BENCH_NAP_FD}<> "$STATE/nap.fifo"
	fi
	read -r -t "$1" -u "$BENCH_NAP_FD" _ || :
}

bench_sql() {
	stack_mysql -N -B "$DB_NAME" -e "$1"
}

bench_machine() {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	printf 'machine: %s CPU(s), %s, kernel %s, %s, load average %s\n' "$(nproc)" \
		"${cpu:-unknown CPU}" "$(uname -r)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
	if awk -v l="$(bench_load)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
		echo "warning: the machine is busy (load average $(bench_load) on $(nproc) CPUs):" \
			"absolute figures will be low; compare the ratios only"
	fi
}

bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print 0; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_order_template() {
	stack_sample_order @ID@ | sed 's/"phone":"(11) 98765-4321"/"phone":"@PHONE@"/' > "$1"
	grep -q @PHONE@ "$1" || { bench_say "order template: no phone to replace"; exit 1; }
}

# wrk -s FILE URL -- RUN TEMPLATE SECRET
bench_wrk_script() {
	cat > "$1" << 'EOF'
-- Written by bench/lib.sh.  Every request is a new WooCommerce order:
-- unique order id (also the Idempotency-Key) and a valid Brazilian mobile.
local run, secret = "1", ""
local parts = {}
local counter = 0
local nthreads = 0
-- tid is a global: setup() sets it in each thread's Lua state.

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads)
end

function init(args)
	run = args[1] or "1"
	local f = assert(io.open(args[2], "r"))
	local tpl = f:read("*a"):gsub("%s+$", "")
	f:close()
	secret = args[3] or ""
	-- Split the template at its placeholders once; join per request.
	local pos = 1
	while true do
		local s, e, name = tpl:find("@(%u+)@", pos)
		if not s then break end
		parts[#parts + 1] = tpl:sub(pos, s - 1)
		parts[#parts + 1] = name
		pos = e + 1
	end
	parts[#parts + 1] = tpl:sub(pos)
end

function request()
	counter = counter + 1
	local id = string.format("1%03d%02d%07d", tonumber(run), tid, counter)
	local phone = string.format("(11) 98%03d-%04d", math.floor(counter / 10000) % 1000,
		counter % 10000)
	local out = {}
	for i = 1, #parts do
		local p = parts[i]
		if i % 2 == 0 then
			out[i] = (p == "ID") and id or phone
		else
			out[i] = p
		end
	end
	local headers = {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. secret,
		["Idempotency-Key"] = "bench-" .. id,
	}
	return wrk.format("POST", nil, headers, table.concat(out))
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d duration_us=%d status_errors=%d connect=%d " ..
		"read=%d write=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
		summary.requests, summary.duration, e.status, e.connect, e.read, e.write,
		e.timeout, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max))
end
EOF
}

# bench_cpu_ticks PID...: user+system clock ticks used so far by the
# processes (all their threads), summed.
bench_cpu_ticks() {
	local p s total=0
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2> /dev/null) || continue
		s=${s##*) }
		# shellcheck disable=SC2086
		set -- $s
		total=$((total + ${12} + ${13}))
	done
	echo "$total"
}

# The PIDs of the children of PID.
bench_children() {
	ps -o pid= --ppid "$1" 2> /dev/null | tr -d ' '
}

# bench_load: the 1-minute load average.
bench_load() {
	cut -d' ' -f1 /proc/loadavg
}

# The value of KEY in a "key=value key=value" line.
bench_field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# bench_grow_demo_pool N: the demo pool imperio-webhook (4 instances) grown
# to N instances, each created on the simulator and added to wapool.
bench_grow_demo_pool() {
	local n=$1 i tok code
	for i in $(seq 5 "$n"); do
		tok=tok-$(stack_random_hex 12)
		code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$SIM_URL/_sim/instances" \
			-H 'Content-Type: application/json' \
			--data-raw "{\"name\":\"imperio-webhook-$i\",\"token\":\"$tok\",\"state\":\"open\",\"number\":\"55119400000$i\"}")
		case $code in 2??) ;; *) bench_say "simulator refused instance $i ($code)"; return 1 ;; esac
		stack_ctl instance add "imperio-webhook-$i" --gateway sim-1 --tenant imperio \
			--phone "+55119400000$i" --token "$tok" --state connected || return 1
		stack_ctl pool member add imperio-webhook "imperio-webhook-$i" || return 1
	done
}
