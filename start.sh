#!/usr/bin/env bash
# start.sh: the two set-up commands of wapool, on a Debian 12 machine as root.
#
#   ./start.sh dev      install what is missing, build, start MariaDB,
#                       memcached, the gateway simulator, lighttpd in front of
#                       wapool.fcgi and wapoold, all in ./.state (or
#                       $WAPOOL_STATE), seed a demo shop and print how to use it.
#                       The servers keep running after it returns.
#   ./start.sh test     the same in a throwaway folder, then tests/run-all.sh
#                       (unit tests under ASan/UBSan and plain, integration
#                       tests against the real stack, browser tests); stops
#                       everything it started.  The last line is
#                       "N passed, N failed"; exit status 1 on any failure.
#                       The first run creates the admin user "admin" and
#                       prints its password once; wapool keeps only its hash.
#   ./start.sh admin-password   give "admin" a new random password, printed
#                       once (when it was lost, or after a lock-out)
#   ./start.sh status   which servers of the dev stack run, with PIDs
#   ./start.sh health   GET /healthz of the dev stack
#   ./start.sh logs [-f]  the last lines of every log (-f: follow)
#   ./start.sh stop     stop the dev stack (its data stays in the folder)
#   ./start.sh restart  stop, then dev
#
# Dev ports (each can be preset in the environment): WEB_PORT 8080 (lighttpd),
# APACHE_PORT 8081, DB_PORT 3307, MC_PORT 11311, SIM_PORT 8090, WAKE_PORT
# 7431-7434 (UDP).  The test run takes a random free block instead, so it can
# run beside a dev stack.  How each server is started: tests/stack.sh.

cd "$(dirname "$0")" || exit 1
SRCDIR=$(pwd -P)
# shellcheck source=tests/stack.sh
. "$SRCDIR/tests/stack.sh"

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

dev_state() {
	local d=${WAPOOL_STATE:-$SRCDIR/.state}
	mkdir -p "$d" && (cd "$d" && pwd -P)
}

# The set-up both commands share; stops at the first failure.
setup() {
	local mode=$1
	stack_install || return 1
	stack_build || return 1
	stack_ports "$mode" || return 1
	stack_write_conf || return 1
	stack_say "starting MariaDB on port $DB_PORT"
	stack_start_mariadb || return 1
	stack_say "starting memcached on port $MC_PORT"
	stack_start_memcached || return 1
	stack_say "starting the gateway simulator on port $SIM_PORT"
	stack_start_sim || return 1
	stack_migrate || return 1
	stack_seed_demo || return 1
	stack_seed_admin || return 1
	stack_say "starting lighttpd + wapool.fcgi on port $WEB_PORT"
	stack_start_lighttpd || return 1
	stack_say "starting wapoold"
	stack_start_daemon 1 || return 1
	stack_env_set STACK_CORE "MARIADB MEMCACHED SIM LIGHTTPD DAEMON_1"
}

any_running() {
	local n
	for n in $STACK_SERVERS; do
		stack_alive "$n" && return 0
	done
	return 1
}

cmd_dev() {
	local order
	stack_init "$(dev_state)" dev || exit 1
	if any_running; then
		echo "The dev stack in $STATE is already running:"
		stack_status
		echo "(./start.sh restart to start it again, ./start.sh stop to stop it)"
		exit 0
	fi
	# A failure or Ctrl-C half-way stops what was started.
	trap 'echo "start.sh: interrupted, stopping" >&2; stack_stop_all; exit 130' INT TERM HUP
	if ! setup dev; then
		echo "start.sh: set-up failed; stopping what was started (logs in $STATE/logs)" >&2
		stack_stop_all
		exit 1
	fi
	trap - INT TERM HUP
	order=$STATE/sample-order.json
	stack_sample_order 48213 > "$order"
	stack_sample_order 48214 cancelled > "$STATE/sample-order-expired.json"
	cat << EOF

wapool dev stack is up (state in $STATE)
  web (lighttpd)    $BASE_URL/          health: $BASE_URL/healthz
  admin             $BASE_URL/admin/    user $ADMIN_USER
EOF
	admin_password_lines
	cat << EOF
  API               $BASE_URL/api/...   header "Authorization: Bearer $API_KEY"
  simulator         $SIM_URL/           control API: $SIM_URL/_sim/instances
  MariaDB           127.0.0.1:$DB_PORT db $DB_NAME user $DB_USER password $DB_PASSWORD
                    root: mariadb --defaults-file=$STATE/my.cnf -uroot $DB_NAME
  memcached         127.0.0.1:$MC_PORT
  config            $WAPOOL_CONF
  logs              $STATE/logs/   (./start.sh logs)

Demo: tenant imperio, gateway sim-1 (the simulator), instances
imperio-webhook-1..4 in pool imperio-webhook, routes order_paid and
order_expired.  Route secrets (kept in $STATE/env):
  order_paid     $ROUTE_SECRET_ORDER_PAID
  order_expired  $ROUTE_SECRET_ORDER_EXPIRED

Post a paid WooCommerce order:
curl -sS -X POST $BASE_URL/webhook/imperio/order_paid -H 'Authorization: Bearer $ROUTE_SECRET_ORDER_PAID' -H 'Content-Type: application/json' --data-binary @$order

Then see it leave through the simulator: curl -sS $SIM_URL/_sim/sends
Stop with ./start.sh stop; run the tests with ./start.sh test.
EOF
}

# The admin's password, when this run made one; else how to get a new one.
admin_password_lines() {
	if [ -n "${STACK_ADMIN_NEW_PASSWORD:-}" ]; then
		cat << EOF
                    password $STACK_ADMIN_NEW_PASSWORD
                    (shown this once: wapool keeps only its hash; lost it?
                    ./start.sh admin-password makes a new one)
EOF
	else
		cat << EOF
                    password: the one printed when this state folder was
                    first started (not stored; ./start.sh admin-password
                    sets a new one and prints it)
EOF
	fi
}

cmd_admin_password() {
	cmd_existing
	if ! stack_alive MARIADB; then
		echo "MariaDB of the dev stack in $STATE is not running (./start.sh dev first)" >&2
		exit 1
	fi
	stack_admin_password || exit 1
	cat << EOF
New password of the admin user $ADMIN_USER at $BASE_URL/admin/ (any lock-out lifted):
                    password $STACK_ADMIN_NEW_PASSWORD
                    (shown this once: wapool keeps only its hash)
EOF
}

cmd_test() {
	local summary rc t0=$SECONDS runall=
	STATE=$(mktemp -d "${TMPDIR:-/tmp}/wapool-test.XXXXXX") || exit 1
	# Whatever happens (failure, Ctrl-C, a kill), nothing stays running.
	trap 'stack_stop_all > /dev/null 2>&1' EXIT
	trap 'echo "start.sh: interrupted, stopping the test stack" >&2
		[ -n "$runall" ] && kill -TERM "$runall" 2> /dev/null && wait "$runall"
		exit 130' INT TERM HUP
	stack_init "$STATE" test || { echo "0 passed, 1 failed"; exit 1; }
	echo "==> test stack in $STATE"
	if setup test; then
		unset STACK_SETUP_FAILED
	else
		export STACK_SETUP_FAILED="see the messages above and $STATE/logs"
	fi
	echo "==> set-up took $((SECONDS - t0)) s; running tests/run-all.sh"
	# In the background so that a signal reaches the trap at once.
	RUN_ALL_SUMMARY_FILE=$STATE/summary tests/run-all.sh &
	runall=$!
	wait "$runall"
	rc=$?
	runall=
	summary=$(cat "$STATE/summary" 2> /dev/null)
	[ -n "$summary" ] || { summary="0 passed, 1 failed"; rc=1; }
	stack_stop_all > "$STATE/logs/stop.log" 2>&1
	if [ "$rc" = 0 ]; then
		rm -rf "$STATE"
	else
		echo "==> state and logs kept in $STATE"
	fi
	echo "==> total $((SECONDS - t0)) s"
	trap - EXIT
	echo "$summary"
	[ "$rc" = 0 ] || exit 1
	exit 0
}

cmd_existing() {
	local d
	d=$(dev_state)
	if [ ! -f "$d/env" ]; then
		echo "no dev stack in $d (./start.sh dev)" >&2
		exit 1
	fi
	stack_init "$d" || exit 1
}

case ${1:-} in
dev) cmd_dev ;;
test) cmd_test ;;
admin-password) cmd_admin_password ;;
status)
	cmd_existing
	stack_status ;;
health)
	cmd_existing
	curl -sS -m 10 -w '\nHTTP %{http_code}\n' "$BASE_URL/healthz" | tee "$STATE/tmp/health"
	grep -q '^HTTP 200$' "$STATE/tmp/health" ;;
logs)
	cmd_existing
	if [ "${2:-}" = -f ]; then
		exec tail -n 20 -F "$STATE"/logs/*.log "$STATE"/logs/*.err
	fi
	for f in "$STATE"/logs/*.log "$STATE"/logs/*.err "$STATE"/logs/*.out; do
		[ -s "$f" ] || continue
		echo "==> $f"
		tail -n "${LINES_PER_LOG:-20}" "$f"
	done ;;
stop)
	cmd_existing
	stack_stop_all
	echo "stopped" ;;
restart)
	if [ -f "$(dev_state)/env" ]; then
		stack_init "$(dev_state)" && stack_stop_all
	fi
	cmd_dev ;;
*) usage ;;
esac
