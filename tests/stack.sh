# tests/stack.sh: start the real wapool stack (MariaDB, memcached, the
# gateway simulator, lighttpd or Apache in front of wapool.fcgi, wapoold)
# in a private folder.  Sourced by start.sh, tests/run-all.sh and
# tests/lib.sh; needs bash.  Every server is started as root, in its own
# session (setsid: a Ctrl-C in the terminal reaches only the script, whose
# trap stops them), with stdin from /dev/null and its output in $STATE/logs.
#
# Everything lives under $STATE:
#   env          sourceable record (mode 600): paths, ports, PIDs, secrets.
#                Every start/stop updates it, so a test that restarts
#                MariaDB leaves the new PID for whoever stops the stack.
#   wapool.conf  the configuration every wapool process reads (WAPOOL_CONF)
#   my.cnf db/   MariaDB (root has no password and logs in over the socket
#                only; the application user is wapool@localhost and
#                wapool@127.0.0.1, password in $DB_PASSWORD)
#   run/         sockets and pid files      logs/  every log
#   lighttpd/ apache/   generated web server configurations
#   sim/         the simulator's --record file
#   build-asan/  the ASan/UBSan copy of the source tree (tests/run-all.sh)
#   tmp/         scratch files of the tests
#
# Set-up
#   stack_init DIR [dev|test]   create/adopt $STATE=DIR, load its env file.
#                               SRCDIR defaults to this file's tree, BUILDDIR
#                               (the normal, in-tree build) to SRCDIR.
#                               STACK_FCGI_BIN, STACK_SIM_BIN, STACK_WAPOOLD_BIN
#                               and STACK_WAPOOLCTL_BIN override the binaries.
#   stack_install               apt-get what is missing (dpkg-query), with a
#                               temporary deny-all policy-rc.d so that no
#                               package starts a system service
#   stack_build                 ./autogen.sh, ./configure --enable-werror (each
#                               only when not done yet), make -j2 in SRCDIR
#                               (skipped when STACK_NO_BUILD is set)
#   stack_build_asan            copy the source tree to $STATE/build-asan
#                               (rsync, build products left out) and configure
#                               it --enable-werror --enable-asan; run-all.sh
#                               runs make check there.  A copy, not a VPATH
#                               build: automake refuses a VPATH build of a
#                               source tree that is configured in-tree.
#   stack_ports dev|test        choose the ports: dev uses fixed defaults
#                               (web 8080, apache 8081, db 3307, memcached
#                               11311, sim 8090, wake 7431-7434; each may be
#                               preset in the environment as WEB_PORT, ...);
#                               test takes a random free block in 20000-32000
#                               so a dev stack and test runs coexist.  Every
#                               port is checked free (TCP and UDP).
#   stack_free_port             print one more free port (for a test's own
#                               helper server)
#   stack_write_conf [KEY=VALUE]...   write $STATE/wapool.conf (only the keys
#                               wapool knows); extra pairs replace or add keys.
#                               Any process also honours WAPOOL_<KEY> env vars.
#
# Servers (each start is a no-op when it already runs; each stop waits until
# the process is gone; a start that fails shows the tail of the server's log)
#   stack_start_mariadb / stack_stop_mariadb     restartable on the same
#                               datadir (kill -9 $MARIADB_PID works too)
#   stack_start_memcached / stack_stop_memcached  -M (errors, never evicts)
#   stack_start_sim / stack_stop_sim   wapool-sim; SIM_WEBHOOK_URL, when set,
#                               is passed as --webhook-url, STACK_SIM_THREADS
#                               as --threads (benchmarks)
#   stack_start_lighttpd / stack_stop_lighttpd   conf/lighttpd.conf.in, the
#                               FastCGI processes started by lighttpd
#   stack_start_apache [proxy|fcgid] / stack_stop_apache   proxy (default):
#                               conf/apache-proxy-fcgi.conf + spawn-fcgi;
#                               fcgid: conf/apache-fcgid.conf
#   stack_start_daemon [N] / stack_stop_daemon [N]   wapoold number N (1-4,
#                               default 1); it listens for wake-ups on
#                               WAKE_PORT+N-1.  Extra WAPOOL_<KEY> variables
#                               in the caller's environment reach it.
#   stack_stop_all              stop everything recorded in $STATE/env, then
#                               any straggler that carries this stack's
#                               marker (WAPOOL_STACK=$STATE in its
#                               environment).  Call it from a trap.
#   stack_ensure                restart the core services (those start.sh
#                               started) that are no longer running; prints
#                               what it restarted
#   stack_status                one line per server: running/stopped, PID
#
# Data
#   stack_wapoolctl ARGS...     daemon/wapoolctl -f $WAPOOL_CONF ARGS...
#   stack_mysql [ARGS]...       the mariadb client as root over the socket
#   stack_migrate               wapoolctl migrate (schema/ of the source tree)
#   stack_seed_demo             the demo of start.sh: tenant imperio, gateway
#                               sim-1, instances imperio-webhook-1..4, pool
#                               imperio-webhook, routes order_paid and
#                               order_expired (secrets in $STATE/env as
#                               ROUTE_SECRET_ORDER_PAID/_ORDER_EXPIRED); the
#                               database part runs once per state folder
#   stack_seed_sim              (re)create the demo instances in the simulator,
#                               each posting its acks and connection changes
#                               to wapool's gateway callback
#   stack_seed_admin [USER]     create the first admin user (USER, default
#                               ADMIN_USER of $STATE/env: "admin") with a
#                               random password, unless it exists.  The
#                               password is only put in STACK_ADMIN_NEW_PASSWORD,
#                               a shell variable (never $STATE/env or a log):
#                               start.sh prints it once; empty when the user
#                               existed already.
#   stack_admin_password [USER] give that user a new random password (and
#                               lift a lock-out); same variable
#   stack_sample_order [ID] [STATUS]   print a WooCommerce-shaped order (JSON)
#
# Helpers
#   stack_env_set KEY VALUE / stack_env_unset KEY... / stack_env_load
#   stack_alive NAME            is the server recorded as NAME_PID running?
#   stack_wait_tcp PORT SECONDS [NAME]   wait until 127.0.0.1:PORT accepts
#   stack_random_hex BYTES      print random hex
#
# Variables in $STATE/env: STATE SRCDIR BUILDDIR STACK_MODE WAPOOL_CONF
# WEB_PORT APACHE_PORT DB_PORT MC_PORT SIM_PORT WAKE_PORT BASE_URL APACHE_URL
# SIM_URL DB_SOCKET DB_NAME DB_USER DB_PASSWORD API_KEY GATEWAY_CALLBACK_TOKEN
# SIM_API_KEY SIM_RECORD FCGI_BIN WAPOOLD_BIN WAPOOLCTL_BIN SIM_BIN,
# NAME_PID and NAME_PID_START (kernel start time, guards against PID reuse)
# for NAME in MARIADB MEMCACHED SIM LIGHTTPD APACHE DAEMON_1..DAEMON_4,
# SPAWN_FCGI_PIDS, APACHE_MODE, STACK_CORE (the services to keep running),
# DEMO_TOKEN_1..4, ROUTE_SECRET_ORDER_PAID, ROUTE_SECRET_ORDER_EXPIRED,
# ADMIN_USER (its password is not kept anywhere: only its hash, in MariaDB).

STACK_PACKAGES="build-essential autoconf automake libtool pkg-config
libfcgi-dev libcurl4-openssl-dev libjson-c-dev libmariadb-dev mariadb-server
mariadb-client libmemcached-dev libmemcached-tools memcached lighttpd
spawn-fcgi apache2 libapache2-mod-fcgid wrk libssl-dev libcrypt-dev curl
libmicrohttpd-dev chromium nodejs npm rsync python3"
STACK_MAX_DAEMONS=4
STACK_SERVERS="MARIADB MEMCACHED SIM LIGHTTPD APACHE DAEMON_1 DAEMON_2 DAEMON_3 DAEMON_4"

stack_say() { [ -n "${STACK_QUIET:-}" ] || printf '==> %s\n' "$*" >&2; }
stack_err() { printf 'stack: %s\n' "$*" >&2; return 1; }

# Show the last lines of a log after a failure.
stack_tail() {
	[ -f "$1" ] || return 0
	printf -- '--- last lines of %s:\n' "$1" >&2
	tail -n "${2:-25}" "$1" | sed 's/^/    /' >&2
}

stack_random_hex() {
	od -An -N"${1:-16}" -tx1 /dev/urandom | tr -d ' \n'
}

# --- the env file ------------------------------------------------------

stack_env_load() {
	# shellcheck disable=SC1091
	[ -f "$STATE/env" ] && . "$STATE/env"
	return 0
}

stack_env_set() {
	local k=$1 v=$2 f=$STATE/env tmp
	printf -v "$k" '%s' "$v"
	export "${k?}"
	tmp=$f.$$.$RANDOM
	(
		umask 077
		[ -f "$f" ] && grep -v "^export $k=" "$f"
		printf 'export %s=%q\n' "$k" "$v"
	) > "$tmp" && mv -f "$tmp" "$f"
}

stack_env_unset() {
	local k f=$STATE/env tmp
	for k in "$@"; do
		unset "$k"
		[ -f "$f" ] || continue
		tmp=$f.$$.$RANDOM
		(umask 077; grep -v "^export $k=" "$f") > "$tmp"
		mv -f "$tmp" "$f"
	done
}

# --- processes -----------------------------------------------------------

# Print the kernel start time of a live (not zombie) PID.
stack_proc_start() {
	local s
	[ -n "${1:-}" ] || return 1
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	[ "$1" != Z ] && [ "$1" != X ] || return 1
	printf '%s\n' "${20}"
}

# stack_alive NAME: the process recorded as NAME_PID runs (and is the same
# process: its start time matches NAME_PID_START).
stack_alive() {
	local pv=${1}_PID sv=${1}_PID_START now
	[ -n "${!pv:-}" ] || return 1
	now=$(stack_proc_start "${!pv}") || return 1
	[ -z "${!sv:-}" ] || [ "$now" = "${!sv}" ]
}

# stack_spawn NAME LOG CMD...: start CMD in its own session, record its PID.
# CMD must be a simple command so that $! is the server itself.
stack_spawn() {
	local name=$1 log=$2 pid
	shift 2
	setsid "$@" < /dev/null >> "$log" 2>&1 &
	pid=$!
	# No "Killed" notice from this shell when a test kills it.
	disown "$pid" 2> /dev/null
	stack_env_set "${name}_PID" "$pid"
	stack_env_set "${name}_PID_START" "$(stack_proc_start "$pid" || echo 0)"
}

# Wait until none of the PIDs runs; 0 when they all ended in time.
stack_wait_gone() {
	local timeout=$1 end p left
	shift
	end=$(( ${EPOCHREALTIME/./} / 1000 + timeout * 1000 ))
	while :; do
		left=
		for p in "$@"; do
			stack_proc_start "$p" > /dev/null && left="$left $p"
		done
		[ -z "$left" ] && return 0
		[ $(( ${EPOCHREALTIME/./} / 1000 )) -lt "$end" ] || return 1
		sleep 0.05
	done
}

# stack_stop NAME... : SIGTERM to each running one, wait (STACK_STOP_TIMEOUT,
# default 15 s; MariaDB 60 s), then SIGKILL what is left.
stack_stop() {
	local n pv pids= timeout=${STACK_STOP_TIMEOUT:-15} p
	stack_env_load
	for n in "$@"; do
		pv=${n}_PID
		if stack_alive "$n"; then
			pids="$pids ${!pv}"
			[ "$n" = MARIADB ] && timeout=60
			kill -TERM "${!pv}" 2> /dev/null
		fi
	done
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		if ! stack_wait_gone "$timeout" $pids; then
			for p in $pids; do
				stack_proc_start "$p" > /dev/null || continue
				stack_err "PID $p did not stop in ${timeout}s: SIGKILL"
				kill -KILL "$p" 2> /dev/null
			done
			# shellcheck disable=SC2086
			stack_wait_gone 10 $pids
		fi
	fi
	for n in "$@"; do
		stack_env_unset "${n}_PID" "${n}_PID_START"
	done
	return 0
}

# stack_wait_tcp PORT SECONDS [NAME]: 0 once 127.0.0.1:PORT accepts a
# connection; fails early when the server NAME died.
stack_wait_tcp() {
	local port=$1 end=$(( ${EPOCHREALTIME/./} / 1000 + $2 * 1000 )) name=${3:-}
	while :; do
		(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return 0
		if [ -n "$name" ] && ! stack_alive "$name"; then
			stack_err "$name exited before listening on port $port"
			return 1
		fi
		if [ $(( ${EPOCHREALTIME/./} / 1000 )) -ge "$end" ]; then
			stack_err "nothing listens on port $port after $2 s"
			return 1
		fi
		sleep 0.05
	done
}

# --- set-up ------------------------------------------------------------

stack_init() {
	local dir=$1 mode=${2:-}
	[ -n "$dir" ] || { stack_err "stack_init: no state folder"; return 1; }
	mkdir -p "$dir" || return 1
	STATE=$(cd "$dir" && pwd -P) || return 1
	export STATE
	# www-data (Apache's children) must reach the sockets in $STATE/run.
	chmod 0711 "$STATE"
	mkdir -p "$STATE/run" "$STATE/logs" "$STATE/tmp" "$STATE/sim"
	chmod 0755 "$STATE/run" "$STATE/logs"
	chmod 1777 "$STATE/tmp"
	if [ ! -f "$STATE/env" ]; then
		(umask 077; : > "$STATE/env")
	fi
	stack_env_load
	# The marker stack_stop_all looks for in the environ of stragglers.
	export WAPOOL_STACK="$STATE"
	if [ -z "${SRCDIR:-}" ]; then
		SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
	fi
	stack_env_set SRCDIR "$SRCDIR"
	stack_env_set BUILDDIR "${BUILDDIR:-$SRCDIR}"
	stack_env_set STATE "$STATE"
	[ -n "$mode" ] && stack_env_set STACK_MODE "$mode"
	stack_env_set FCGI_BIN "${STACK_FCGI_BIN:-$BUILDDIR/cgi/wapool.fcgi}"
	stack_env_set WAPOOLD_BIN "${STACK_WAPOOLD_BIN:-$BUILDDIR/daemon/wapoold}"
	stack_env_set WAPOOLCTL_BIN "${STACK_WAPOOLCTL_BIN:-$BUILDDIR/daemon/wapoolctl}"
	stack_env_set SIM_BIN "${STACK_SIM_BIN:-$BUILDDIR/tests/sim/wapool-sim}"
	stack_env_set WAPOOL_CONF "$STATE/wapool.conf"
	stack_env_set DB_SOCKET "$STATE/run/db.sock"
	stack_env_set SIM_RECORD "$STATE/sim/record.jsonl"
	stack_env_set DB_NAME "${DB_NAME:-wapool}"
	stack_env_set DB_USER "${DB_USER:-wapool}"
	# Secrets: made once per state folder, kept across restarts.
	[ -n "${DB_PASSWORD:-}" ] || stack_env_set DB_PASSWORD "$(stack_random_hex 12)"
	[ -n "${API_KEY:-}" ] || stack_env_set API_KEY "$(stack_random_hex 16)"
	[ -n "${GATEWAY_CALLBACK_TOKEN:-}" ] ||
		stack_env_set GATEWAY_CALLBACK_TOKEN "$(stack_random_hex 16)"
	[ -n "${SIM_API_KEY:-}" ] || stack_env_set SIM_API_KEY "sim-$(stack_random_hex 8)"
	if [ ${#STATE} -gt 80 ]; then
		stack_err "state folder path too long for Unix sockets (max 80): $STATE"
		return 1
	fi
}

stack_install() {
	local p st missing=() created=
	for p in $STACK_PACKAGES; do
		case $p in
		# NodeSource's nodejs bundles npm (and conflicts with Debian's npm).
		nodejs|npm) command -v "${p/nodejs/node}" > /dev/null 2>&1 && continue ;;
		esac
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2> /dev/null)
		[ "$st" = installed ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		stack_err "missing packages (install as root): ${missing[*]}"
		return 1
	fi
	stack_say "installing: ${missing[*]}"
	(
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			# No package may start a system service on the default ports.
			printf '#!/bin/sh\n# temporary, from wapool tests/stack.sh\nexit 101\n' \
				> /usr/sbin/policy-rc.d
			chmod 0755 /usr/sbin/policy-rc.d
			created=1
		fi
		trap '[ -n "$created" ] && rm -f /usr/sbin/policy-rc.d' EXIT
		trap 'exit 130' INT TERM
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q > "$STATE/logs/apt.log" 2>&1 &&
			apt-get install -y -q "${missing[@]}" >> "$STATE/logs/apt.log" 2>&1
	) || {
		stack_tail "$STATE/logs/apt.log"
		stack_err "apt-get install failed (log: $STATE/logs/apt.log)"
		return 1
	}
}

stack_build() {
	local log=$STATE/logs/build.log
	if [ -n "${STACK_NO_BUILD:-}" ]; then
		stack_say "STACK_NO_BUILD is set: using the binaries as they are"
		return 0
	fi
	stack_say "building in $SRCDIR (log: $log)"
	(
		cd "$SRCDIR" || exit 1
		if [ ! -x configure ]; then
			./autogen.sh || exit 1
		fi
		if [ ! -f config.status ]; then
			./configure --enable-werror || exit 1
		fi
		make -j2
	) > "$log" 2>&1 || {
		grep -E 'error|Error' "$log" | head -n 20 >&2
		stack_tail "$log" 15
		stack_err "build failed (log: $log)"
		return 1
	}
}

stack_build_asan() {
	local dst=$STATE/build-asan log=$STATE/logs/build-asan.log
	stack_say "copying the sources to $dst for the ASan build (log: $log)"
	mkdir -p "$dst"
	(
		# Build products of an in-tree build stay behind: .o files in the
		# source would be taken as up to date by make.
		rsync -a --delete \
			--exclude=/.git --exclude='/.state*' --exclude=node_modules \
			--exclude='*.o' --exclude='*.a' --exclude='*.so' \
			--exclude=.deps --exclude=.dirstamp --exclude=autom4te.cache \
			--exclude='*.log' --exclude='*.trs' \
			--exclude=/config.status --exclude=/config.h \
			--exclude=/stamp-h1 --exclude=/Makefile --exclude=/libtool \
			"$SRCDIR/" "$dst/" || exit 1
		cd "$dst" || exit 1
		if [ ! -x configure ]; then
			./autogen.sh || exit 1
		fi
		if [ ! -f config.status ]; then
			./configure --enable-werror --enable-asan || exit 1
		fi
	) > "$log" 2>&1 || {
		stack_tail "$log" 15
		stack_err "ASan configure failed (log: $log)"
		return 1
	}
}

# stack_ports_busy PORT...: print the ports that are not free (TCP or UDP
# on 127.0.0.1); 0 when all are free.
stack_ports_busy() {
	python3 - "$@" << 'EOF'
import socket, sys
busy = []
for p in sys.argv[1:]:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        if kind == socket.SOCK_STREAM:
            # Like the servers: a TIME_WAIT left by the last run is no owner.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", int(p)))
            if kind == socket.SOCK_STREAM:
                s.listen(1)
        except OSError:
            busy.append(p)
            break
        finally:
            s.close()
print(" ".join(busy))
sys.exit(1 if busy else 0)
EOF
}

# Print the first port of a free block of $1 ports in 20000-32000 (below
# the kernel's ephemeral range, so no client socket takes one meanwhile).
stack_pick_block() {
	python3 - "$1" << 'EOF'
import random, socket, sys
n = int(sys.argv[1])
def free(p):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", p))
            if kind == socket.SOCK_STREAM:
                s.listen(1)
        except OSError:
            return False
        finally:
            s.close()
    return True
for _ in range(200):
    base = random.randrange(20000, 32000 - n)
    if all(free(p) for p in range(base, base + n)):
        print(base)
        sys.exit(0)
sys.exit(1)
EOF
}

stack_free_port() {
	stack_pick_block 1
}

stack_ports() {
	local mode=${1:-${STACK_MODE:-dev}} base busy
	if [ "$mode" = test ]; then
		base=$(stack_pick_block 10) || { stack_err "no free port block"; return 1; }
		WEB_PORT=$base APACHE_PORT=$((base + 1)) DB_PORT=$((base + 2))
		MC_PORT=$((base + 3)) SIM_PORT=$((base + 4)) WAKE_PORT=$((base + 5))
	else
		WEB_PORT=${WEB_PORT:-8080} APACHE_PORT=${APACHE_PORT:-8081}
		DB_PORT=${DB_PORT:-3307} MC_PORT=${MC_PORT:-11311}
		SIM_PORT=${SIM_PORT:-8090} WAKE_PORT=${WAKE_PORT:-7431}
		if ! busy=$(stack_ports_busy "$WEB_PORT" "$APACHE_PORT" "$DB_PORT" \
		    "$MC_PORT" "$SIM_PORT" "$WAKE_PORT" $((WAKE_PORT + 1)) \
		    $((WAKE_PORT + 2)) $((WAKE_PORT + 3))); then
			stack_err "port(s) in use: $busy"
			ss -Hlptnu 2> /dev/null | grep -E ":($(echo "$busy" | tr ' ' '|'))\\b" >&2
			stack_err "stop their owner, or choose others: WEB_PORT=... APACHE_PORT=... DB_PORT=... MC_PORT=... SIM_PORT=... WAKE_PORT=... ./start.sh dev"
			return 1
		fi
	fi
	stack_env_set WEB_PORT "$WEB_PORT"
	stack_env_set APACHE_PORT "$APACHE_PORT"
	stack_env_set DB_PORT "$DB_PORT"
	stack_env_set MC_PORT "$MC_PORT"
	stack_env_set SIM_PORT "$SIM_PORT"
	stack_env_set WAKE_PORT "$WAKE_PORT"
	stack_env_set BASE_URL "http://127.0.0.1:$WEB_PORT"
	stack_env_set APACHE_URL "http://127.0.0.1:$APACHE_PORT"
	stack_env_set SIM_URL "http://127.0.0.1:$SIM_PORT"
}

# A recorded port must be free before its server starts again (the last
# owner may still be closing).
stack_wait_port_free() {
	local i
	for i in $(seq 1 100); do
		stack_ports_busy "$1" > /dev/null && return 0
		sleep 0.1
	done
	stack_err "port $1 is still in use:"
	ss -Hlptnu 2> /dev/null | grep ":$1\\b" >&2
	return 1
}

stack_write_conf() {
	local f=$STATE/wapool.conf kv wake= i
	for i in $(seq 0 $((STACK_MAX_DAEMONS - 1))); do
		wake="${wake:+$wake,}127.0.0.1:$((WAKE_PORT + i))"
	done
	(
		umask 077
		cat << EOF
# wapool.conf written by tests/stack.sh for $STATE
db_host = 127.0.0.1
db_port = $DB_PORT
db_socket =
db_user = $DB_USER
db_password = $DB_PASSWORD
db_name = $DB_NAME
memcached_servers = 127.0.0.1:$MC_PORT
log_level = ${STACK_LOG_LEVEL:-info}
access_log = $STATE/logs/wapool-access.log
webhook_max_body = 1048576
api_key = $API_KEY
gateway_callback_token = $GATEWAY_CALLBACK_TOKEN
public_url = $BASE_URL
wake_addresses = $wake
daemon_wake_listen = 127.0.0.1:$WAKE_PORT
fcgi_threads = 32
EOF
	) > "$f.tmp" || return 1
	for kv in "$@"; do
		case $kv in
		*=*) ;;
		*) stack_err "stack_write_conf: not KEY=VALUE: $kv"; return 1 ;;
		esac
		grep -v "^${kv%%=*} *=" "$f.tmp" > "$f.tmp2"
		printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >> "$f.tmp2"
		mv -f "$f.tmp2" "$f.tmp"
	done
	mv -f "$f.tmp" "$f"
}

# --- MariaDB -----------------------------------------------------------

stack_mysql() {
	mariadb --defaults-file="$STATE/my.cnf" -uroot "$@"
}

stack_start_mariadb() {
	local log=$STATE/logs/mariadbd.err i
	stack_env_load
	stack_alive MARIADB && return 0
	mkdir -p "$STATE/db"
	cat > "$STATE/my.cnf" << EOF
# MariaDB for $STATE; use it with --defaults-file (see stack.md pitfall 4)
[mariadbd]
user = root
datadir = $STATE/db
socket = $DB_SOCKET
port = $DB_PORT
bind-address = 127.0.0.1
pid-file = $STATE/run/mariadbd.pid
log-error = $log
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
innodb_buffer_pool_size = 256M
innodb_log_file_size = 128M
innodb_flush_log_at_trx_commit = 1
max_connections = 300

[client]
socket = $DB_SOCKET
port = $DB_PORT
default-character-set = utf8mb4
EOF
	if [ ! -d "$STATE/db/mysql" ]; then
		stack_say "initialising MariaDB in $STATE/db"
		mariadb-install-db --defaults-file="$STATE/my.cnf" \
			--auth-root-authentication-method=normal --skip-test-db \
			> "$STATE/logs/mariadb-install-db.log" 2>&1 || {
			stack_tail "$STATE/logs/mariadb-install-db.log"
			stack_err "mariadb-install-db failed"
			return 1
		}
	fi
	stack_wait_port_free "$DB_PORT" || return 1
	stack_spawn MARIADB "$STATE/logs/mariadbd.out" \
		mariadbd --defaults-file="$STATE/my.cnf"
	for i in $(seq 1 1200); do
		mariadb-admin --defaults-file="$STATE/my.cnf" -uroot ping > /dev/null 2>&1 && break
		if ! stack_alive MARIADB; then
			stack_tail "$log"
			stack_tail "$STATE/logs/mariadbd.out" 5
			stack_err "mariadbd exited"
			return 1
		fi
		sleep 0.05
	done
	stack_mysql << EOF || { stack_err "MariaDB set-up SQL failed"; return 1; }
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME%\`.* TO '$DB_USER'@'localhost';
GRANT ALL PRIVILEGES ON \`$DB_NAME%\`.* TO '$DB_USER'@'127.0.0.1';
EOF
}

stack_stop_mariadb() { stack_stop MARIADB; }

# --- memcached -----------------------------------------------------------

stack_start_memcached() {
	stack_env_load
	stack_alive MEMCACHED && return 0
	stack_wait_port_free "$MC_PORT" || return 1
	stack_spawn MEMCACHED "$STATE/logs/memcached.log" \
		memcached -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 64 -c 1024 -t 2 -M -u root
	stack_wait_tcp "$MC_PORT" 10 MEMCACHED || {
		stack_tail "$STATE/logs/memcached.log"
		return 1
	}
}

stack_stop_memcached() { stack_stop MEMCACHED; }

# --- the gateway simulator -----------------------------------------------

stack_start_sim() {
	local log=$STATE/logs/sim.log i args off
	stack_env_load
	stack_alive SIM && return 0
	[ -x "$SIM_BIN" ] || { stack_err "no simulator at $SIM_BIN (build first)"; return 1; }
	stack_wait_port_free "$SIM_PORT" || return 1
	args=(--port "$SIM_PORT" --api-key "$SIM_API_KEY" --record "$SIM_RECORD")
	[ -n "${SIM_WEBHOOK_URL:-}" ] && args+=(--webhook-url "$SIM_WEBHOOK_URL")
	[ -n "${STACK_SIM_THREADS:-}" ] && args+=(--threads "$STACK_SIM_THREADS")
	off=$(stat -c %s "$log" 2> /dev/null || echo 0)
	stack_spawn SIM "$log" "$SIM_BIN" "${args[@]}"
	# Ready when it says so (or, failing that, when the port accepts).
	for i in $(seq 1 200); do
		tail -c +$((off + 1)) "$log" | grep -q 'listening on' && return 0
		stack_alive SIM || break
		sleep 0.05
	done
	stack_wait_tcp "$SIM_PORT" 5 SIM || {
		stack_tail "$log"
		return 1
	}
}

stack_stop_sim() { stack_stop SIM; }

# --- web servers ---------------------------------------------------------

# stack_subst TEMPLATE OUT: replace the @NAME@ placeholders of the conf/
# templates with this stack's paths and ports.
stack_sed_esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

stack_subst() {
	sed -e "s|@STATE@|$(stack_sed_esc "$STATE")|g" \
	    -e "s|@SRCDIR@|$(stack_sed_esc "$SRCDIR")|g" \
	    -e "s|@HTDOCS@|$(stack_sed_esc "${STACK_HTDOCS:-$SRCDIR/htdocs}")|g" \
	    -e "s|@LOGDIR@|$(stack_sed_esc "$STATE/logs")|g" \
	    -e "s|@RUNDIR@|$(stack_sed_esc "$STATE/run")|g" \
	    -e "s|@TMPDIR@|$(stack_sed_esc "$STATE/tmp")|g" \
	    -e "s|@WEB_PORT@|$WEB_PORT|g" \
	    -e "s|@APACHE_PORT@|$APACHE_PORT|g" \
	    -e "s|@FCGI_BIN@|$(stack_sed_esc "${STACK_FCGI_TARGET:-$FCGI_BIN}")|g" \
	    -e "s|@FCGI_DIR@|$(stack_sed_esc "$(dirname "${STACK_FCGI_TARGET:-$FCGI_BIN}")")|g" \
	    -e "s|@FCGI_SOCKET@|$(stack_sed_esc "$STATE/run/wapool-fcgi.sock")|g" \
	    -e "s|@FCGI_PROCS@|${STACK_FCGI_PROCS:-1}|g" \
	    -e "s|@WAPOOL_CONF@|$(stack_sed_esc "$WAPOOL_CONF")|g" \
	    "$1" > "$2"
}

stack_start_lighttpd() {
	local conf=$STATE/lighttpd/lighttpd.conf
	stack_env_load
	stack_alive LIGHTTPD && return 0
	[ -x "$FCGI_BIN" ] || { stack_err "no FastCGI binary at $FCGI_BIN (build first)"; return 1; }
	mkdir -p "$STATE/lighttpd"
	stack_subst "$SRCDIR/conf/lighttpd.conf.in" "$conf" || return 1
	lighttpd -tt -f "$conf" > "$STATE/logs/lighttpd-check.log" 2>&1 || {
		stack_tail "$STATE/logs/lighttpd-check.log"
		stack_err "lighttpd rejects $conf"
		return 1
	}
	stack_wait_port_free "$WEB_PORT" || return 1
	# FastCGI processes left by a lighttpd that was killed with -9.
	# shellcheck disable=SC2046
	stack_kill_pids $(stack_stragglers orphans)
	stack_spawn LIGHTTPD "$STATE/logs/lighttpd.out" lighttpd -D -f "$conf"
	stack_wait_tcp "$WEB_PORT" 10 LIGHTTPD || {
		stack_tail "$STATE/logs/lighttpd-error.log"
		stack_tail "$STATE/logs/lighttpd.out" 5
		return 1
	}
}

stack_stop_lighttpd() { stack_stop LIGHTTPD; }

# www-data must be able to read DIR (Apache serves /static/ as www-data).
stack_www_data_reads() {
	runuser -u www-data -- test -r "$1/." -a -x "$1/." 2> /dev/null
}

stack_start_apache() {
	local mode=${1:-proxy} dir=$STATE/apache mods p htdocs fcgi_target
	stack_env_load
	if stack_alive APACHE; then
		[ "${APACHE_MODE:-}" = "$mode" ] && return 0
		stack_stop_apache
	fi
	mkdir -p "$dir/run" "$dir/bin" "$dir/empty"
	mods=$(dirname "$(dpkg -L apache2-bin | grep '/mod_mpm_event.so$')")
	ln -sfn "$mods" "$dir/modules"
	htdocs=$SRCDIR/htdocs
	if ! stack_www_data_reads "$htdocs"; then
		# The source tree is private: serve a copy.
		rm -rf "$dir/htdocs"
		cp -a "$htdocs" "$dir/htdocs" && chmod -R a+rX "$dir/htdocs"
		htdocs=$dir/htdocs
	fi
	fcgi_target=$FCGI_BIN
	{
		cat << EOF
# Apache for $STATE, written by tests/stack.sh.  The wapool part is the
# Include at the end: conf/apache-$([ "$mode" = fcgid ] && echo fcgid || echo proxy-fcgi).conf with the paths filled in.
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$APACHE_PORT
PidFile "$dir/run/httpd.pid"
DefaultRuntimeDir "$dir/run"
# fcntl mutexes break mod_fcgid under mpm_event (stack.md pitfall 9)
Mutex pthread default
ErrorLog "$STATE/logs/apache-error.log"
LogLevel warn
LogFormat "%h %t \"%r\" %>s %b %D" wapool
CustomLog "$STATE/logs/apache-access.log" wapool
LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule alias_module modules/mod_alias.so
LoadModule mime_module modules/mod_mime.so
TypesConfig /etc/mime.types
User www-data
Group www-data
ServerTokens Prod
ServerSignature Off
KeepAlive On
MaxKeepAliveRequests 0
Timeout 60
DocumentRoot "$dir/empty"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
EOF
		if [ "$mode" = fcgid ]; then
			# mod_fcgid starts wapool.fcgi as www-data.
			mkdir -p "$dir/fcgid" "$STATE/logs/fcgid"
			chown www-data:www-data "$dir/fcgid" "$STATE/logs/fcgid"
			cp -f "$FCGI_BIN" "$dir/bin/" && chmod 0755 "$dir/bin/$(basename "$FCGI_BIN")"
			fcgi_target=$dir/bin/$(basename "$FCGI_BIN")
			chgrp www-data "$WAPOOL_CONF" && chmod 0640 "$WAPOOL_CONF"
			cat << EOF
LoadModule fcgid_module modules/mod_fcgid.so
FcgidIPCDir "$dir/fcgid"
FcgidProcessTableFile "$dir/fcgid/shm"
# www-data cannot write the root-owned logs: its own access log.
FcgidInitialEnv WAPOOL_ACCESS_LOG "$STATE/logs/fcgid/wapool-access.log"
FcgidInitialEnv WAPOOL_STACK "$STATE"
EOF
		else
			cat << EOF
LoadModule proxy_module modules/mod_proxy.so
LoadModule proxy_fcgi_module modules/mod_proxy_fcgi.so
EOF
		fi
		printf 'Include "%s"\n' "$dir/wapool.conf"
	} > "$dir/httpd.conf"
	if [ "$mode" = fcgid ]; then
		STACK_HTDOCS=$htdocs STACK_FCGI_TARGET=$fcgi_target \
			stack_subst "$SRCDIR/conf/apache-fcgid.conf" "$dir/wapool.conf"
	else
		STACK_HTDOCS=$htdocs \
			stack_subst "$SRCDIR/conf/apache-proxy-fcgi.conf" "$dir/wapool.conf"
	fi
	apache2 -t -f "$dir/httpd.conf" > "$STATE/logs/apache-check.log" 2>&1 || {
		stack_tail "$STATE/logs/apache-check.log"
		stack_err "apache2 rejects $dir/httpd.conf"
		return 1
	}
	if [ "$mode" != fcgid ]; then
		stack_start_spawn_fcgi || return 1
	fi
	stack_wait_port_free "$APACHE_PORT" || return 1
	stack_spawn APACHE "$STATE/logs/apache.out" \
		apache2 -f "$dir/httpd.conf" -DFOREGROUND
	stack_env_set APACHE_MODE "$mode"
	stack_wait_tcp "$APACHE_PORT" 10 APACHE || {
		stack_tail "$STATE/logs/apache-error.log"
		stack_tail "$STATE/logs/apache.out" 5
		stack_stop_apache
		return 1
	}
}

# FastCGI processes for mod_proxy_fcgi: spawn-fcgi forks them and exits;
# the socket is 0666 so that Apache's www-data children can connect.
stack_start_spawn_fcgi() {
	local sock=$STATE/run/wapool-fcgi.sock pidf=$STATE/run/spawn-fcgi.pid
	local log=$STATE/logs/wapool-fcgi-apache.log p pids=
	[ -x "$FCGI_BIN" ] || { stack_err "no FastCGI binary at $FCGI_BIN (build first)"; return 1; }
	stack_stop_spawn_fcgi
	rm -f "$sock" "$pidf"
	# spawn-fcgi points the children's stderr at /dev/null: the sh puts it
	# back into a log before it execs the binary (same PID).
	env WAPOOL_CONF="$WAPOOL_CONF" spawn-fcgi -s "$sock" -M 0666 \
		-F "${STACK_FCGI_PROCS:-2}" -P "$pidf" -- \
		/bin/sh -c 'exec "$0" 2>> "$1"' "$FCGI_BIN" "$log" \
		< /dev/null >> "$STATE/logs/spawn-fcgi.log" 2>&1 || {
		stack_tail "$STATE/logs/spawn-fcgi.log"
		stack_err "spawn-fcgi failed"
		return 1
	}
	for p in $(cat "$pidf" 2> /dev/null); do
		pids="$pids $p:$(stack_proc_start "$p")"
	done
	stack_env_set SPAWN_FCGI_PIDS "${pids# }"
	sleep 0.1
	for p in $pids; do
		stack_proc_start "${p%%:*}" > /dev/null || {
			stack_tail "$log"
			stack_err "a FastCGI process started by spawn-fcgi exited"
			return 1
		}
	done
}

stack_stop_spawn_fcgi() {
	local p pid live=
	stack_env_load
	for p in ${SPAWN_FCGI_PIDS:-}; do
		pid=${p%%:*}
		[ "$(stack_proc_start "$pid")" = "${p#*:}" ] || continue
		kill -TERM "$pid" 2> /dev/null && live="$live $pid"
	done
	if [ -n "$live" ]; then
		# shellcheck disable=SC2086
		stack_wait_gone 10 $live || { kill -KILL $live 2> /dev/null; stack_wait_gone 5 $live; }
	fi
	stack_env_unset SPAWN_FCGI_PIDS
}

stack_stop_apache() {
	stack_stop APACHE
	stack_stop_spawn_fcgi
	stack_env_unset APACHE_MODE
	# A fcgid run left the configuration group-readable by www-data.
	[ -f "$WAPOOL_CONF" ] && chmod 0600 "$WAPOOL_CONF"
	return 0
}

# --- wapoold ---------------------------------------------------------------

stack_start_daemon() {
	local n=${1:-1} log
	stack_env_load
	case $n in
	[1-9]) [ "$n" -le "$STACK_MAX_DAEMONS" ] || { stack_err "daemon index 1-$STACK_MAX_DAEMONS"; return 1; } ;;
	*) stack_err "daemon index 1-$STACK_MAX_DAEMONS"; return 1 ;;
	esac
	stack_alive "DAEMON_$n" && return 0
	[ -x "$WAPOOLD_BIN" ] || { stack_err "no daemon at $WAPOOLD_BIN (build first)"; return 1; }
	log=$STATE/logs/wapoold-$n.log
	local port=$((WAKE_PORT + n - 1)) i
	stack_wait_port_free "$port" || return 1
	stack_spawn "DAEMON_$n" "$log" env \
		WAPOOL_DAEMON_WAKE_LISTEN="127.0.0.1:$port" \
		"$WAPOOLD_BIN" -f "$WAPOOL_CONF" -d
	# Ready once its wake-up port is bound (5 s at most; the port is only
	# a shortcut, the daemon also polls).
	for i in $(seq 1 100); do
		if ! stack_alive "DAEMON_$n"; then
			stack_tail "$log"
			stack_err "wapoold $n exited"
			return 1
		fi
		ss -Hlun "sport = :$port" 2> /dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 0
}

stack_stop_daemon() { stack_stop "DAEMON_${1:-1}"; }

# --- everything ------------------------------------------------------------

# Processes that carry this stack's marker (WAPOOL_STACK=$STATE in their
# environment) and are one of our servers.  With "orphans", only FastCGI
# processes whose parent died (a lighttpd killed with -9), less the ones
# spawn-fcgi started (they always have no parent).
stack_stragglers() {
	local d pid comm names ppid stat
	names=" mariadbd memcached lighttpd apache2 wapoold wapool.fcgi wapool-sim spawn-fcgi "
	names="$names$(basename "${FCGI_BIN:-x}" | cut -c1-15) "
	names="$names$(basename "${SIM_BIN:-x}" | cut -c1-15) "
	names="$names$(basename "${WAPOOLD_BIN:-x}" | cut -c1-15) "
	[ "${1:-}" = orphans ] && names=" wapool.fcgi $(basename "${FCGI_BIN:-x}" | cut -c1-15) "
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = "$$" ] && continue
		comm=$(cat "$d/comm" 2> /dev/null) || continue
		case $names in *" $comm "*) ;; *) continue ;; esac
		if [ "${1:-}" = orphans ]; then
			stat=$(cat "$d/stat" 2> /dev/null) || continue
			stat=${stat##*) }
			ppid=${stat#* }
			ppid=${ppid%% *}
			[ "$ppid" = 1 ] || continue
			case " ${SPAWN_FCGI_PIDS:-} " in *" $pid:"*) continue ;; esac
		fi
		tr '\0' '\n' < "$d/environ" 2> /dev/null |
			grep -qxF "WAPOOL_STACK=$STATE" && printf '%s\n' "$pid"
	done
	return 0
}

# stack_kill_pids PID...: SIGTERM, 15 s, SIGKILL.
stack_kill_pids() {
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2> /dev/null
	stack_wait_gone 15 "$@" || { kill -KILL "$@" 2> /dev/null; stack_wait_gone 5 "$@"; }
	return 0
}

stack_stop_all() {
	local n daemons= pids
	[ -n "${STATE:-}" ] && [ -d "$STATE" ] || return 0
	stack_env_load
	for n in $(seq 1 "$STACK_MAX_DAEMONS"); do daemons="$daemons DAEMON_$n"; done
	# shellcheck disable=SC2086
	stack_stop $daemons
	stack_stop LIGHTTPD APACHE SIM
	stack_stop_spawn_fcgi
	stack_env_unset APACHE_MODE
	stack_stop MEMCACHED MARIADB
	pids=$(stack_stragglers)
	if [ -n "$pids" ]; then
		stack_err "stopping stragglers: $(echo $pids)"
		# shellcheck disable=SC2086
		stack_kill_pids $pids
	fi
	return 0
}

stack_status() {
	local n pv port
	stack_env_load
	for n in $STACK_SERVERS; do
		pv=${n}_PID
		case $n in
		MARIADB) port=$DB_PORT ;; MEMCACHED) port=$MC_PORT ;;
		SIM) port=$SIM_PORT ;; LIGHTTPD) port=$WEB_PORT ;;
		APACHE) port=$APACHE_PORT ;;
		DAEMON_*) port="$((WAKE_PORT + ${n#DAEMON_} - 1))/udp" ;;
		esac
		if stack_alive "$n"; then
			printf '%-10s running  pid %-8s port %s\n' "$n" "${!pv}" "$port"
		elif [ -n "${!pv:-}" ]; then
			printf '%-10s DEAD     pid %-8s port %s\n' "$n" "${!pv}" "$port"
		else
			case $n in DAEMON_[2-9]|APACHE) continue ;; esac
			printf '%-10s stopped\n' "$n"
		fi
	done
	[ -n "${SPAWN_FCGI_PIDS:-}" ] && printf '%-10s pids %s\n' SPAWN_FCGI "$(echo "$SPAWN_FCGI_PIDS" | sed 's/:[0-9]*//g')"
	return 0
}

# Restart whatever of STACK_CORE is not running (after a test that stopped
# a server and failed before it started it again).
stack_ensure() {
	local n rc=0
	stack_env_load
	for n in ${STACK_CORE:-}; do
		stack_alive "$n" && continue
		printf 'restarting %s\n' "$n"
		case $n in
		MARIADB) stack_start_mariadb ;;
		MEMCACHED) stack_start_memcached ;;
		SIM) stack_start_sim && stack_seed_sim ;;
		LIGHTTPD) stack_start_lighttpd ;;
		DAEMON_*) stack_start_daemon "${n#DAEMON_}" ;;
		esac || rc=1
	done
	return $rc
}

# --- data --------------------------------------------------------------

stack_wapoolctl() {
	"$WAPOOLCTL_BIN" -f "$WAPOOL_CONF" "$@"
}

stack_migrate() {
	stack_wapoolctl migrate --schema-dir "$SRCDIR/schema" \
		>> "$STATE/logs/wapoolctl.log" 2>&1 || {
		stack_tail "$STATE/logs/wapoolctl.log"
		stack_err "wapoolctl migrate failed"
		return 1
	}
}

# stack_ctl ARGS...: wapoolctl with its output in the log, shown on failure.
stack_ctl() {
	# Log the command with the values of secret options masked.
	local arg masked=() hide=
	for arg in "$@"; do
		if [ -n "$hide" ]; then masked+=('********'); hide=; continue; fi
		case $arg in --secret|--api-key|--token) hide=1 ;; esac
		masked+=("$arg")
	done
	printf '$ wapoolctl %s\n' "${masked[*]}" >> "$STATE/logs/wapoolctl.log"
	stack_wapoolctl "$@" >> "$STATE/logs/wapoolctl.log" 2>&1 || {
		stack_tail "$STATE/logs/wapoolctl.log" 10
		stack_err "wapoolctl $1 $2 failed"
		return 1
	}
}

stack_seed_sim() {
	local i name code tv
	stack_env_load
	for i in 1 2 3 4; do
		name=imperio-webhook-$i
		tv=DEMO_TOKEN_$i
		[ -n "${!tv:-}" ] || stack_env_set "$tv" "tok-$(stack_random_hex 12)"
		code=$(curl -sS -o "$STATE/tmp/sim-seed.out" -w '%{http_code}' \
			-X POST "$SIM_URL/_sim/instances" -H "apikey: $SIM_API_KEY" \
			-H 'Content-Type: application/json' \
			--data-raw "{\"name\":\"$name\",\"token\":\"${!tv}\",\"state\":\"open\",\"number\":\"551194000000$i\"}")
		case $code in
		2??|409) ;;
		*)
			stack_err "simulator: POST /_sim/instances $name answered $code: $(head -c 300 "$STATE/tmp/sim-seed.out")"
			return 1 ;;
		esac
		# Acks and connection changes come back to wapool's callback
		# (per instance: a global --webhook-url would reach the tests'
		# instances too).
		code=$(curl -sS -o "$STATE/tmp/sim-seed.out" -w '%{http_code}' \
			-X POST "$SIM_URL/webhook/set/$name" -H "apikey: $SIM_API_KEY" \
			-H 'Content-Type: application/json' \
			--data-raw "{\"webhook\":{\"enabled\":true,\"url\":\"$BASE_URL/webhook/gateway/evolution/$GATEWAY_CALLBACK_TOKEN\",\"events\":[\"MESSAGES_UPDATE\",\"CONNECTION_UPDATE\"]}}")
		case $code in
		2??) ;;
		*)
			stack_err "simulator: POST /webhook/set/$name answered $code: $(head -c 300 "$STATE/tmp/sim-seed.out")"
			return 1 ;;
		esac
	done
}

stack_seed_demo() {
	local i paid expired tv
	stack_env_load
	stack_seed_sim || return 1
	[ "${DEMO_SEEDED:-}" = 1 ] && return 0
	stack_say "seeding the demo (tenant imperio)"
	stack_ctl tenant add imperio --name 'Império Modas' \
		--timezone America/Sao_Paulo || return 1
	stack_ctl gateway add sim-1 --kind evolution --url "$SIM_URL" \
		--api-key "$SIM_API_KEY" --capacity 20 --priority 0 || return 1
	for i in 1 2 3 4; do
		tv=DEMO_TOKEN_$i
		stack_ctl instance add "imperio-webhook-$i" --gateway sim-1 \
			--tenant imperio --phone "+551194000000$i" \
			--token "${!tv}" --state connected || return 1
	done
	stack_ctl pool add imperio-webhook --tenant imperio \
		--strategy round_robin || return 1
	for i in 1 2 3 4; do
		stack_ctl pool member add imperio-webhook "imperio-webhook-$i" || return 1
	done
	paid=$(stack_random_hex 24)
	expired=$(stack_random_hex 24)
	stack_ctl route add imperio order_paid --pool imperio-webhook \
		--template 'Olá {{billing.first_name}}! Recebemos o pagamento do seu pedido #{{id}} no valor de R$ {{total}}. Obrigado por comprar na Império!' \
		--phone-path billing.phone --key-path id --secret "$paid" || return 1
	stack_ctl route add imperio order_expired --pool imperio-webhook \
		--template 'Olá {{billing.first_name}}, o PIX do pedido #{{id}} no valor de R$ {{total}} expirou. Se ainda quiser os produtos, é só fazer um novo pedido na loja da Império.' \
		--phone-path billing.phone --key-path id --secret "$expired" \
		--validity 1800 || return 1
	stack_env_set ROUTE_SECRET_ORDER_PAID "$paid"
	stack_env_set ROUTE_SECRET_ORDER_EXPIRED "$expired"
	stack_env_set DEMO_SEEDED 1
}

# A password people can type: 20 characters of URL-safe base64 (120 bits).
stack_admin_random_password() {
	head -c 15 /dev/urandom | base64 | tr '+/' '-_'
}

# stack_admin_set add|password USER: wapoolctl user add|password USER with a
# new random password on stdin; the password goes to STACK_ADMIN_NEW_PASSWORD,
# what wapoolctl said to STACK_ADMIN_OUT.
stack_admin_set() {
	local pw
	pw=$(stack_admin_random_password) || return 1
	STACK_ADMIN_OUT=$(printf '%s\n' "$pw" |
		stack_wapoolctl user "$1" "$2" --password-stdin 2>&1) || return 1
	printf '$ wapoolctl user %s %s --password-stdin (the password is not logged)\n%s\n' \
		"$1" "$2" "$STACK_ADMIN_OUT" >> "$STATE/logs/wapoolctl.log"
	STACK_ADMIN_NEW_PASSWORD=$pw
}

stack_seed_admin() {
	local user
	STACK_ADMIN_NEW_PASSWORD=
	stack_env_load
	[ -n "${ADMIN_USER:-}" ] || stack_env_set ADMIN_USER admin
	user=${1:-$ADMIN_USER}
	stack_admin_set add "$user" && return 0
	case $STACK_ADMIN_OUT in
	*"already exists"*) return 0 ;;
	esac
	printf '%s\n' "$STACK_ADMIN_OUT" >> "$STATE/logs/wapoolctl.log"
	stack_tail "$STATE/logs/wapoolctl.log" 5
	stack_err "wapoolctl user add $user failed"
}

stack_admin_password() {
	local user
	STACK_ADMIN_NEW_PASSWORD=
	stack_env_load
	[ -n "${ADMIN_USER:-}" ] || stack_env_set ADMIN_USER admin
	user=${1:-$ADMIN_USER}
	stack_admin_set password "$user" && return 0
	stack_err "wapoolctl user password $user failed: $STACK_ADMIN_OUT"
}

# A WooCommerce order as its webhook posts it (about 1.7 KiB).
stack_sample_order() {
	local id=${1:-48213} status=${2:-processing}
	cat << EOF
{"id":$id,"parent_id":0,"status":"$status","currency":"BRL","version":"8.9.3","prices_include_tax":false,"date_created":"2026-11-23T10:41:07","date_modified":"2026-11-23T10:43:52","discount_total":"0.00","shipping_total":"30.00","total":"189.90","total_tax":"0.00","customer_id":5127,"order_key":"wc_order_Xk3p9QbV2mT7a","billing":{"first_name":"Maria","last_name":"Oliveira","company":"","address_1":"Rua Augusta, 1500","address_2":"Apto 42","city":"São Paulo","state":"SP","postcode":"01304-001","country":"BR","email":"maria.oliveira@example.com.br","phone":"(11) 98765-4321"},"shipping":{"first_name":"Maria","last_name":"Oliveira","company":"","address_1":"Rua Augusta, 1500","address_2":"Apto 42","city":"São Paulo","state":"SP","postcode":"01304-001","country":"BR","phone":""},"payment_method":"pix","payment_method_title":"PIX","transaction_id":"E18236120202611231043s0a1b2c3d4e5","customer_ip_address":"177.92.14.203","customer_user_agent":"Mozilla/5.0 (Linux; Android 14) Mobile","created_via":"checkout","customer_note":"Entregar na portaria, por favor.","date_paid":"2026-11-23T10:43:52","number":"$id","meta_data":[{"id":90211,"key":"_billing_cpf","value":"123.456.789-09"}],"line_items":[{"id":771,"name":"Vestido Midi Floral","product_id":3301,"variation_id":3305,"quantity":1,"tax_class":"","subtotal":"129.90","total":"129.90","sku":"VMF-M-AZ","price":129.9},{"id":772,"name":"Meia Canelada Algodão (par)","product_id":2840,"variation_id":0,"quantity":2,"tax_class":"","subtotal":"30.00","total":"30.00","sku":"MCA-UN","price":15}],"shipping_lines":[{"id":773,"method_title":"SEDEX","method_id":"correios-sedex","total":"30.00"}],"fee_lines":[],"coupon_lines":[],"refunds":[]}
EOF
}
