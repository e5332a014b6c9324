# tests/lib.sh: helpers for the integration tests (tests/integration/t*.sh).
# Sourced (bash) at the top of each test:
#
#   . "$(dirname "$0")/../lib.sh"
#
# It finds the running stack through $STATE (or $WAPOOL_STATE, or ./.state
# of the source tree), loads $STATE/env (ports, PIDs, secrets: see
# tests/stack.sh) and tests/stack.sh itself, so a test can stop and start
# servers (stack_stop_mariadb, stack_start_apache, stack_start_daemon 2 ...).
# Tests run one after another against one stack; leave it as you found it
# (at_exit helps), tests/run-all.sh restarts a core server a test left dead.
#
# TAP (numbered automatically; output on stdout)
#   ok DESC                     a passing test
#   not_ok DESC [DIAG]...       a failing test; DIAG lines follow as comments
#   check DESC CMD [ARG]...     passes when CMD exits 0
#   is GOT WANT DESC            string equality (shows both on failure)
#   isnt GOT UNWANTED DESC
#   like GOT ERE DESC / unlike GOT ERE DESC   grep -E match
#   skip DESC REASON            "ok N - DESC # SKIP REASON"
#   diag MSG...                 "# MSG" comment lines
#   bail_out MSG                "Bail out! MSG", exit 1
#   done_testing                print the plan "1..N"; exit 1 on any failure.
#                               A test that exits without it fails.
#   at_exit CMD                 run the shell command CMD when the test exits
#                               (last registered first), also on failure
#
# HTTP (curl against the web server: lighttpd at $BASE_URL, or $HTTP_BASE)
#   http METHOD PATH [-H 'Name: value']... [--data STRING | --data-file FILE]
#        [--ctype TYPE] [--base URL] [--timeout SECONDS] [-- CURL-ARGS...]
#        Sets HTTP_STATUS ("000" when no answer), HTTP_BODY, HTTP_HEADERS
#        (header block, CRs removed) and the files $HTTP_BODY_FILE and
#        $HTTP_HEADERS_FILE.  A body defaults to Content-Type
#        application/json.  Any other option is passed to curl.
#   http_header NAME            value of a header of the last answer
#   json_get EXPR [JSON]        value at EXPR in JSON (default $HTTP_BODY):
#        EXPR is a path like "message_id", "data.items.0.id" or
#        ".items[0].id"; strings print raw, null/true/false/numbers and
#        objects as JSON; append "|length" or "|keys".  Exit 1 when the path
#        is missing, 2 when the text is no JSON.
#   json_py PYEXPR [JSON]       print a Python expression over d (the JSON)
#   sim_get PATH / sim_post PATH JSON / sim_delete PATH   the gateway
#        simulator ($SIM_URL); same variables as http
#
# Stack
#   db "SQL"                    run SQL as root over the socket in the wapool
#                               database; rows tab-separated, no header
#   wapoolctl ARGS...           daemon/wapoolctl -f $WAPOOL_CONF ARGS...
#   wait_until SECONDS 'shell condition'   poll every 0.1 s; 0 when it held
#   sample_order [ID] [STATUS]  a WooCommerce-shaped order (JSON) on stdout
#   unique_id                   a number unique to this run (order ids)

if [ -z "${STATE:-}" ]; then
	if [ -n "${WAPOOL_STATE:-}" ]; then
		STATE=$WAPOOL_STATE
	else
		STATE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/.state
	fi
fi
if [ ! -f "$STATE/env" ]; then
	echo "Bail out! no stack at $STATE: run ./start.sh test, or ./start.sh dev and tests/run-all.sh"
	exit 1
fi
export STATE
# shellcheck source=tests/stack.sh
. "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
stack_env_load
export WAPOOL_STACK="$STATE"

TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "$STATE/tmp/$TEST_NAME.XXXXXX")
HTTP_BODY_FILE=$TEST_TMP/http.body
HTTP_HEADERS_FILE=$TEST_TMP/http.headers
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
_tap_n=0
_tap_failed=0
_tap_done=
_tap_exit_cmds=()

# --- TAP ---------------------------------------------------------------

ok() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s\n' "$_tap_n" "$1"
}

not_ok() {
	local d
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_n" "$1"
	shift
	for d in "$@"; do diag "$d"; done
	return 1
}

diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc" "command failed: $*" "$(printf '%s' "$out" | tail -n 5)"
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "     got: '$1'" "expected: '$2'"
	fi
}

isnt() {
	if [ "$1" != "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "got '$1', which it should not be"
	fi
}

like() {
	if printf '%s' "$1" | grep -qE -- "$2"; then
		ok "$3"
	else
		not_ok "$3" "     got: '$(printf '%s' "$1" | head -c 600)'" "expected to match: /$2/"
	fi
}

unlike() {
	if ! printf '%s' "$1" | grep -qE -- "$2"; then
		ok "$3"
	else
		not_ok "$3" "     got: '$(printf '%s' "$1" | head -c 600)'" "expected not to match: /$2/"
	fi
}

skip() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$1" "${2:-}"
}

bail_out() {
	printf 'Bail out! %s\n' "$*"
	_tap_done=bail
	exit 1
}

done_testing() {
	_tap_done=1
	printf '1..%d\n' "$_tap_n"
	if [ "$_tap_failed" -gt 0 ]; then
		diag "failed $_tap_failed of $_tap_n"
		exit 1
	fi
	exit 0
}

at_exit() {
	_tap_exit_cmds+=("$1")
}

_tap_on_exit() {
	local rc=$? i
	for ((i = ${#_tap_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_tap_exit_cmds[i]}" || diag "at_exit failed: ${_tap_exit_cmds[i]}"
	done
	rm -rf "$TEST_TMP"
	if [ -z "$_tap_done" ]; then
		diag "$TEST_NAME exited (status $rc) before done_testing, after $_tap_n test(s)"
		[ "$rc" = 0 ] && rc=1
	fi
	exit "$rc"
}
trap _tap_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- HTTP ----------------------------------------------------------------

http() {
	local method=$1 path=$2 base=${HTTP_BASE:-$BASE_URL} ctype= data=
	local timeout=${HTTP_TIMEOUT:-30} rc
	local -a args=()
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		-H) args+=(-H "$2"); shift 2 ;;
		--data) args+=(--data-raw "$2"); data=1; shift 2 ;;
		--data-file) args+=(--data-binary "@$2"); data=1; shift 2 ;;
		--ctype) ctype=$2; shift 2 ;;
		--base) base=$2; shift 2 ;;
		--timeout) timeout=$2; shift 2 ;;
		--) shift; args+=("$@"); break ;;
		*) args+=("$1"); shift ;;
		esac
	done
	if [ -n "$ctype" ]; then
		args+=(-H "Content-Type: $ctype")
	elif [ -n "$data" ]; then
		args+=(-H "Content-Type: application/json")
	fi
	if [ "$method" = HEAD ]; then
		args+=(-I)
	else
		args+=(-X "$method")
	fi
	: > "$HTTP_BODY_FILE"
	: > "$HTTP_HEADERS_FILE"
	HTTP_STATUS=$(curl -sS --max-time "$timeout" -o "$HTTP_BODY_FILE" \
		-D "$HTTP_HEADERS_FILE" -w '%{http_code}' "${args[@]}" "$base$path" \
		2> "$TEST_TMP/curl.err")
	rc=$?
	HTTP_CURL_RC=$rc
	[ -n "$HTTP_STATUS" ] || HTTP_STATUS=000
	HTTP_BODY=$(cat "$HTTP_BODY_FILE")
	HTTP_HEADERS=$(tr -d '\r' < "$HTTP_HEADERS_FILE")
	[ "$rc" = 0 ] || diag "curl $method $base$path: $(cat "$TEST_TMP/curl.err")"
	return 0
}

http_header() {
	printf '%s\n' "$HTTP_HEADERS" | awk -v n="$1" '
		BEGIN { n = tolower(n) }
		/^HTTP\// { v = "" }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v) } }
		END { if (v != "") print v }'
}

json_get() {
	local json
	if [ $# -ge 2 ]; then json=$2; else json=$HTTP_BODY; fi
	printf '%s' "$json" | "$PYTHON" -c '
import json, re, sys
expr = sys.argv[1]
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(2)
fn = None
if "|" in expr:
    expr, fn = [x.strip() for x in expr.split("|", 1)]
cur = d
for part in [p for p in re.split(r"[.\[\]]+", expr) if p]:
    try:
        if isinstance(cur, list):
            cur = cur[int(part)]
        elif isinstance(cur, dict):
            cur = cur[part]
        else:
            sys.exit(1)
    except (KeyError, IndexError, ValueError):
        sys.exit(1)
if fn == "length":
    cur = len(cur)
elif fn == "keys":
    cur = sorted(cur.keys()) if isinstance(cur, dict) else list(range(len(cur)))
elif fn:
    sys.exit("json_get: unknown function " + fn)
print(cur if isinstance(cur, str) else json.dumps(cur, ensure_ascii=False))
' "$1"
}

json_py() {
	local json
	if [ $# -ge 2 ]; then json=$2; else json=$HTTP_BODY; fi
	printf '%s' "$json" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1], {"d": d, "json": json})
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
' "$1"
}

sim_get() {
	http GET "$1" --base "$SIM_URL" -H "apikey: $SIM_API_KEY"
}

sim_post() {
	local body=${2:-}
	[ -n "$body" ] || body='{}'
	http POST "$1" --base "$SIM_URL" -H "apikey: $SIM_API_KEY" --data "$body"
}

sim_delete() {
	http DELETE "$1" --base "$SIM_URL" -H "apikey: $SIM_API_KEY"
}

# --- stack -------------------------------------------------------------

db() {
	mariadb --defaults-file="$STATE/my.cnf" -uroot -N -B -D "${DB_NAME:-wapool}" -e "$1"
}

wapoolctl() {
	"$WAPOOLCTL_BIN" -f "$WAPOOL_CONF" "$@"
}

wait_until() {
	local end
	end=$(( ${EPOCHREALTIME/./} + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1000000 }') ))
	shift
	while :; do
		eval "$*" && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		sleep 0.1
	done
}

sample_order() {
	stack_sample_order "$@"
}

_unique_n=0
unique_id() {
	_unique_n=$((_unique_n + 1))
	printf '%d%03d\n' "$(( ${EPOCHREALTIME/./} / 1000 % 1000000000 ))" "$_unique_n"
}

# =============================================================================
# Dispatch tests (tests/integration/t02*-dispatch-*.sh)
# =============================================================================
# A dispatch test builds a world of its own and runs its own wapoold(s) with
# small timings, so the tests depend neither on each other nor on the demo.
#
#   dw_world N [round_robin|priority] [nohooks]
#        a tenant, a gateway on the simulator, N instances (open in the
#        simulator, connected in wapool) and a pool of them.  Unless
#        "nohooks", each simulator instance posts messages.update and
#        connection.update to wapool's gateway callback.  Sets DW_TAG (unique
#        to the run), DW_TENANT DW_TENANT_ID DW_GATEWAY DW_GATEWAY_ID DW_POOL
#        DW_POOL_ID DW_N and, for k = 1..N, DW_NAME[k] DW_ID[k] DW_TOKEN[k].
#        At exit: knobs and simulator instances deleted, the wapool instances
#        marked deleted, the gateway inactive, the tenant's unfinished
#        messages cancelled.
#        DW_POOL_MEMBERS=M before it: only instances 1..M join the pool.
#   dw_pool NAME K...          another pool of the tenant holding instances
#                              K...; sets DW_LAST_POOL_ID (dw_insert pool_id=..)
#   dw_knobs K JSON           set simulator knobs of instance K (1..N)
#   dw_callback K EVENT DATA   post an Evolution envelope about instance K
#                              (event messages.update, connection.update...)
#                              to wapool's gateway callback (sets HTTP_*)
#   dw_insert COUNT [COLUMN=SQL]...
#        COUNT messages to the pool in one INSERT, each to its own recipient
#        (+55219 and 8 digits, unique in the run); extra columns as SQL
#        (instance_id=${DW_ID[1]} max_attempts=3 "expires_at=NOW(6) + INTERVAL
#        2 SECOND"); recipient=SQL, body=SQL, pool_id=SQL and priority=N replace the
#        defaults (not recipient and body together: one must mark the batch).
#        Sets DW_BATCH (the batch number) and DW_WHERE (SQL condition
#        selecting this batch); bodies are "b<batch>:<k> <tag>".
#   dw_count WHERE             how many messages match; DW_SENT is the
#                              condition "sent, delivered or read"
#   dw_tally WHERE             compare the messages matching WHERE with the
#                              simulator's record; prints shell assignments
#                              (eval them): T_rows, T_sent (rows in a sent
#                              state), T_once (recipients sent exactly once),
#                              T_missing (never sent), T_dups (extra sends),
#                              T_mismatch (sent rows whose instance and
#                              gateway id match no send), T_ghost (rows not
#                              sent in the DB that the simulator accepted)
#   dw_batch N                 SQL condition selecting batch N
#   dw_q "SQL"                 db, with {T} replaced by the tenant's id
#   dw_sends [K]...            "number instance id t_us" per send the simulator
#                              accepted from instances K (default: all of them)
#   dw_env KEY=VALUE...        settings for the daemons started after it
#                              (WAPOOL_<KEY>), over DW_DEFAULTS: rate gates,
#                              spacing and typing off, 1 s intervals, ...
#   dw_start [N]               start wapoold N (1-4, default 1) with them.  The
#                              stack's own daemon 1 is stopped first and
#                              started again at exit with the stack's settings.
#   (At exit, in this order: the test's daemons stop, the world is cleaned
#   up, the stack's daemon 1 starts again.)
#   dw_stop [N]                SIGTERM, wait until it is gone (stack_stop)
#   dw_kill9 [N]               SIGKILL, wait until it is gone
#   dw_pid [N]                 its PID ("" when not running)
#   dw_log [N]                 its log since dw_start
#   dw_ring                    a wake-up datagram to every daemon port

DW_DEFAULTS=(
	poll_interval_ms=50 health_interval=1 recover_interval=1 lease_seconds=10
	heartbeat_interval=2 no_instance_delay_ms=200 shutdown_grace_seconds=5
	send_timeout_ms=5000 connect_timeout_ms=1000
	retry_base_ms=50 retry_cap_ms=400 max_attempts=8 ack_timeout_seconds=86400
	breaker_window_seconds=30 breaker_min_calls=5 breaker_failure_rate=0.5
	breaker_open_seconds=2 breaker_probes=1 breaker_max_trips=1000
	rate_mps=0 rate_burst=0 rate_daily_limit=0 rate_pair_per_minute=0
	spacing_min_seconds=0 spacing_max_seconds=0 typing=no
	log_level=info
)
DW_SETTINGS=()
DW_STARTED=()
DW_TOOK_DAEMON1=
DW_NEXT_RCPT=1
DW_BATCH=0
declare -a DW_NAME DW_ID DW_TOKEN DW_LOGOFF DW_BATCH_WHERE

dw_env() {
	DW_SETTINGS+=("$@")
}

# The environment of a daemon: WAPOOL_KEY=value for the defaults, then the
# test's settings (later ones win).
_dw_daemon_env() {
	local kv k
	for kv in "${DW_DEFAULTS[@]}" "${DW_SETTINGS[@]}"; do
		k=${kv%%=*}
		printf 'WAPOOL_%s=%s\n' "${k^^}" "${kv#*=}"
	done
}

dw_pid() {
	local n=${1:-1} pv
	stack_env_load
	pv=DAEMON_${n}_PID
	stack_alive "DAEMON_$n" && printf '%s\n' "${!pv}"
	return 0
}

dw_start() {
	local n=${1:-1} log rc
	local -a envs
	stack_env_load
	_dw_on_exit
	if [ -z "$DW_TOOK_DAEMON1" ]; then
		DW_TOOK_DAEMON1=no
		if stack_alive DAEMON_1; then
			DW_TOOK_DAEMON1=yes
			stack_stop_daemon 1
		fi
	fi
	mapfile -t envs < <(_dw_daemon_env)
	log=$STATE/logs/wapoold-$n.log
	DW_LOGOFF[n]=$(stat -c %s "$log" 2> /dev/null || echo 0)
	( export "${envs[@]}"; stack_start_daemon "$n" ) > "$TEST_TMP/dw-start.out" 2>&1
	rc=$?
	stack_env_load
	if [ "$rc" != 0 ] || [ -z "$(dw_pid "$n")" ]; then
		diag "wapoold $n did not start: $(cat "$TEST_TMP/dw-start.out")"
		return 1
	fi
	case " ${DW_STARTED[*]} " in *" $n "*) ;; *) DW_STARTED+=("$n") ;; esac
	return 0
}

dw_stop() {
	stack_stop_daemon "${1:-1}"
	stack_env_load
}

dw_kill9() {
	local n=${1:-1} pid
	pid=$(dw_pid "$n")
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2> /dev/null
	stack_wait_gone 10 "$pid"
	stack_env_unset "DAEMON_${n}_PID" "DAEMON_${n}_PID_START"
}

dw_log() {
	local n=${1:-1}
	tail -c +$(( ${DW_LOGOFF[n]:-0} + 1 )) "$STATE/logs/wapoold-$n.log" 2> /dev/null
}

dw_ring() {
	local i
	for i in $(seq 0 $((STACK_MAX_DAEMONS - 1))); do
		printf 'w' > "/dev/udp/127.0.0.1/$((WAKE_PORT + i))" 2> /dev/null
	done
	return 0
}

# At exit: our daemons stop, the world is cleaned up, then the stack's
# daemon 1 runs again as it did (after the clean-up, so that it never
# claims what the test left behind).
_dw_on_exit() {
	[ -n "${_dw_exit_set:-}" ] && return 0
	_dw_exit_set=1
	at_exit _dw_exit
}

_dw_exit() {
	local n
	for n in "${DW_STARTED[@]}"; do
		stack_stop_daemon "$n"
	done
	_dw_world_cleanup
	if [ "$DW_TOOK_DAEMON1" = yes ]; then
		stack_start_daemon 1 > "$TEST_TMP/dw-restore.out" 2>&1 ||
			diag "could not start the stack's daemon 1 again: $(cat "$TEST_TMP/dw-restore.out")"
	fi
}

dw_q() {
	db "${1//\{T\}/$DW_TENANT_ID}"
}

dw_world() {
	local n=$1 strategy=${2:-round_robin} hooks=${3:-hooks} k name token out
	local hook_url=$BASE_URL/webhook/gateway/evolution/$GATEWAY_CALLBACK_TOKEN
	DW_N=$n
	DW_TAG=$(printf '%s' "$TEST_NAME" | sed -E 's/^(t[0-9]+).*/\1/')-$(unique_id)
	DW_TENANT=$DW_TAG
	DW_GATEWAY=$DW_TAG-gw
	DW_POOL=$DW_TAG-pool
	_dw_on_exit
	out=$TEST_TMP/dw-world.out
	{
		wapoolctl tenant add "$DW_TENANT" --name "dispatch test $DW_TAG" &&
		wapoolctl gateway add "$DW_GATEWAY" --kind evolution --url "$SIM_URL" \
			--api-key "$SIM_API_KEY" --capacity 50 --priority 0 &&
		wapoolctl pool add "$DW_POOL" --tenant "$DW_TENANT" --strategy "$strategy"
	} > "$out" 2>&1 || { bail_out "dispatch world: wapoolctl failed: $(tail -n 3 "$out")"; }
	DW_TENANT_ID=$(db "SELECT id FROM tenants WHERE slug = '$DW_TENANT'")
	DW_GATEWAY_ID=$(db "SELECT id FROM gateways WHERE name = '$DW_GATEWAY'")
	DW_POOL_ID=$(db "SELECT id FROM pools WHERE name = '$DW_POOL'")
	for k in $(seq 1 "$n"); do
		name=$DW_TAG-$k
		token=tok-$(stack_random_hex 10)
		DW_NAME[k]=$name
		DW_TOKEN[k]=$token
		sim_post /_sim/instances "{\"name\":\"$name\",\"token\":\"$token\",\"state\":\"open\",\"number\":\"5511970$(printf '%06d' "$((RANDOM * 10 + k))")\"}"
		case $HTTP_STATUS in 2??) ;; *) bail_out "simulator: create $name answered $HTTP_STATUS: $HTTP_BODY" ;; esac
		if [ "$hooks" != nohooks ]; then
			sim_post "/webhook/set/$name" "{\"webhook\":{\"enabled\":true,\"url\":\"$hook_url\",\"events\":[\"MESSAGES_UPDATE\",\"CONNECTION_UPDATE\"]}}"
			case $HTTP_STATUS in 2??) ;; *) bail_out "simulator: webhook/set $name answered $HTTP_STATUS: $HTTP_BODY" ;; esac
		fi
		{
			wapoolctl instance add "$name" --gateway "$DW_GATEWAY" --tenant "$DW_TENANT" \
				--token "$token" --state connected &&
			if [ "$k" -le "${DW_POOL_MEMBERS:-$n}" ]; then
				wapoolctl pool member add "$DW_POOL" "$name"
			fi
		} > "$out" 2>&1 || bail_out "dispatch world: wapoolctl instance failed: $(tail -n 3 "$out")"
		DW_ID[k]=$(db "SELECT id FROM instances WHERE name = '$name'")
	done
}

_dw_world_cleanup() {
	local k
	[ -n "${DW_TENANT_ID:-}" ] || return 0
	for k in $(seq 1 "${DW_N:-0}"); do
		sim_delete "/_sim/instances/${DW_NAME[k]}" > /dev/null
	done
	db "UPDATE messages SET state = 'cancelled', finished_at = NOW(6),
		lease_owner = ''
		WHERE tenant_id = $DW_TENANT_ID AND state IN ('pending', 'sending');
	    UPDATE instances SET deleted_at = NOW(6) WHERE gateway_id = $DW_GATEWAY_ID;
	    UPDATE gateways SET active = 0 WHERE id = $DW_GATEWAY_ID;
	    UPDATE pools SET enabled = 0 WHERE id IN ($DW_POOL_ID${DW_EXTRA_POOLS:+,$DW_EXTRA_POOLS})" ||
		diag "dispatch world: clean-up SQL failed"
}

# dw_pool NAME K...: another pool of the tenant with instances K...; its id in DW_LAST_POOL_ID.
dw_pool() {
	local name=$DW_TAG-$1 k
	shift
	wapoolctl pool add "$name" --tenant "$DW_TENANT" > "$TEST_TMP/dw-pool.out" 2>&1 || {
		diag "pool add $name: $(cat "$TEST_TMP/dw-pool.out")"
		return 1
	}
	for k in "$@"; do
		wapoolctl pool member add "$name" "${DW_NAME[k]}" > "$TEST_TMP/dw-pool.out" 2>&1 ||
			diag "pool member add $name ${DW_NAME[k]}: $(cat "$TEST_TMP/dw-pool.out")"
	done
	DW_LAST_POOL_ID=$(db "SELECT id FROM pools WHERE name = '$name'")
	DW_EXTRA_POOLS="${DW_EXTRA_POOLS:+$DW_EXTRA_POOLS,}$DW_LAST_POOL_ID"
}

# dw_callback K EVENT DATA: post an Evolution webhook envelope (as the
# simulator would) about instance K to wapool's gateway callback.
dw_callback() {
	http POST "/webhook/gateway/evolution/$GATEWAY_CALLBACK_TOKEN" \
		--data "{\"event\":\"$2\",\"instance\":\"${DW_NAME[$1]}\",\"data\":$3,\"destination\":\"$BASE_URL\",\"date_time\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\",\"sender\":null,\"server_url\":\"$SIM_URL\",\"apikey\":\"${DW_TOKEN[$1]}\"}"
}

dw_knobs() {
	sim_post "/_sim/instances/${DW_NAME[$1]}/knobs" "$2"
	[ "$HTTP_STATUS" = 200 ] || { diag "knobs $2 on ${DW_NAME[$1]}: $HTTP_STATUS $HTTP_BODY"; return 1; }
}

dw_batch() {
	printf '%s' "${DW_BATCH_WHERE[$1]}"
}

dw_insert() {
	local count=$1 cols= vals= kv first=$DW_NEXT_RCPT
	local rcpt="CONCAT('+55219', LPAD($first + seq - 1, 8, '0'))" prio=10 body= pool=$DW_POOL_ID
	shift
	DW_BATCH=$((DW_BATCH + 1))
	for kv in "$@"; do
		case ${kv%%=*} in
		recipient) rcpt=${kv#*=} ;;
		priority) prio=${kv#*=} ;;
		pool_id) pool=${kv#*=} ;;
		body) body=${kv#*=} ;;
		*) cols="$cols, ${kv%%=*}"; vals="$vals, ${kv#*=}" ;;
		esac
	done
	if [ -n "$body" ]; then
		# The body cannot carry the batch: the recipients do.
		DW_BATCH_WHERE[DW_BATCH]=$(printf "tenant_id = %s AND recipient BETWEEN '+55219%08d' AND '+55219%08d'" \
			"$DW_TENANT_ID" "$first" $((first + count - 1)))
	else
		body="CONCAT('b$DW_BATCH:', seq, ' $DW_TAG')"
		DW_BATCH_WHERE[DW_BATCH]=$(printf "tenant_id = %s AND body LIKE 'b%s:%%'" \
			"$DW_TENANT_ID" "$DW_BATCH")
	fi
	db "INSERT INTO messages (tenant_id, pool_id, recipient, body, priority$cols)
	    SELECT $DW_TENANT_ID, $pool, $rcpt, $body, $prio$vals
	    FROM seq_1_to_$count" || { diag "dw_insert failed"; return 1; }
	DW_NEXT_RCPT=$((first + count))
	DW_WHERE=${DW_BATCH_WHERE[DW_BATCH]}
}

# dw_count WHERE: how many messages match (WHERE may use {T}, the tenant id).
dw_count() {
	dw_q "SELECT COUNT(*) FROM messages WHERE $1"
}

# Sent, whatever the acknowledgements did to it since.
DW_SENT="state IN ('sent', 'delivered', 'read')"

# dw_sends [K]...: the sends of our instances as the simulator recorded them.
dw_sends() {
	local k
	local -a ks=("$@")
	[ ${#ks[@]} -gt 0 ] || ks=($(seq 1 "$DW_N"))
	for k in "${ks[@]}"; do
		sim_get "/_sim/sends?instance=${DW_NAME[k]}"
		[ "$HTTP_STATUS" = 200 ] || { diag "GET /_sim/sends: $HTTP_STATUS"; return 1; }
		printf '%s' "$HTTP_BODY" | "$PYTHON" -c '
import json, sys
for s in json.load(sys.stdin)["sends"]:
    if s.get("kind", "text") == "text":
        print(s["number"], s["instance"], s["id"], s["t_us"])
'
	done
}

dw_tally() {
	db "SELECT SUBSTRING(m.recipient, 2), COALESCE(i.name, ''),
	    COALESCE(m.gateway_message_id, ''), m.state
	    FROM (SELECT * FROM messages WHERE ${1//\{T\}/$DW_TENANT_ID}) m
	    LEFT JOIN instances i ON i.id = m.sent_instance_id" > "$TEST_TMP/tally.db" || return 1
	dw_sends > "$TEST_TMP/tally.sim" || return 1
	"$PYTHON" - "$TEST_TMP/tally.db" "$TEST_TMP/tally.sim" << 'PYEOF'
import collections, sys
sends = collections.defaultdict(list)
for line in open(sys.argv[2]):
    number, instance, mid, t_us = line.split()
    sends[number].append((instance, mid))
t = dict(rows=0, sent=0, once=0, missing=0, dups=0, mismatch=0, ghost=0)
for line in open(sys.argv[1]):
    number, instance, gid, state = (line.rstrip("\n").split("\t") + [""] * 4)[:4]
    got = sends.get(number, [])
    t["rows"] += 1
    is_sent = state in ("sent", "delivered", "read")
    t["sent"] += is_sent
    if not got:
        t["missing"] += 1
    else:
        t["once"] += len(got) == 1
        t["dups"] += len(got) - 1
    if is_sent and (instance, gid) not in got:
        t["mismatch"] += 1
    if not is_sent and got:
        t["ghost"] += 1
print(" ".join("T_%s=%d" % kv for kv in t.items()))
PYEOF
}
