#!/usr/bin/env bash
# tests/run-all.sh: run every wapool test against a running stack and
# print "N passed, N failed" as the last line; exit 1 on any failure.
#
# Usage: tests/run-all.sh [--no-unit] [--no-asan] [--no-browser] [PATTERN]...
#
# The stack is the one in $STATE (or $WAPOOL_STATE, or .state of the source
# tree): ./start.sh test sets one up in a throwaway folder and calls this;
# after ./start.sh dev, run it by hand.  PATTERNs pick integration and
# browser tests whose file name contains one of them, and skip the unit
# tests.
#
# Stages, each counted per TAP test case:
#   1. unit tests under ASan/UBSan: `make check` in $STATE/build-asan, a
#      copy of the source tree configured --enable-asan (tests/stack.sh
#      stack_build_asan); the "# PASS:"/"# FAIL:" totals of automake's TAP
#      driver are the counts.
#   2. unit tests in the normal build: `make check` in $BUILDDIR.
#   3. every executable tests/integration/t*.sh, in order, each printing TAP
#      ("ok N - ...", "not ok N - ...", "1..N").  A script that exits
#      non-zero without a "not ok" counts as one failure, so does one that
#      runs no test; tests missing from its plan count as failures.  After
#      each script the core servers it left dead are restarted.
#   4. tests/browser/*.mjs with node, same counting; playwright-core is
#      installed with npm into tests/browser/node_modules when missing,
#      and CHROMIUM_PATH points at Debian's chromium.
#
# Environment: TEST_TIMEOUT (seconds per script, default 300);
# RUN_ALL_SUMMARY_FILE (write the summary line there instead of printing
# it: start.sh test prints it last, after it stopped the stack);
# STACK_SETUP_FAILED (the stack did not come up: one failure, and only
# the unit tests run).

cd "$(dirname "$0")/.." || exit 1
srcdir=$(pwd -P)
do_unit=1 do_asan=1 do_browser=1
patterns=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-unit) do_unit= ;;
	--no-asan) do_asan= ;;
	--no-browser) do_browser= ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "run-all.sh: unknown option $1" >&2; exit 2 ;;
	*) patterns+=("$1") ;;
	esac
	shift
done
[ ${#patterns[@]} -gt 0 ] && do_unit=

STATE=${STATE:-${WAPOOL_STATE:-$srcdir/.state}}
if [ ! -f "$STATE/env" ]; then
	echo "run-all.sh: no stack at $STATE (./start.sh dev first, or ./start.sh test)" >&2
	exit 2
fi
export STATE
# shellcheck source=tests/stack.sh
. tests/stack.sh
stack_env_load
export WAPOOL_STACK="$STATE"
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
mkdir -p "$STATE/logs/tests"

total_pass=0 total_fail=0
failures=()

fail_note() { failures+=("$1"); }

# A signal stops the running child (TERM to its process group: timeout
# passes it on) and then run-all, without a summary, status 130.
interrupted= child=
on_signal() {
	interrupted=1
	[ -n "$child" ] && kill -TERM "$child" 2> /dev/null
}
trap on_signal INT TERM HUP
stop_if_interrupted() {
	[ -z "$interrupted" ] && return 0
	echo "run-all.sh: interrupted" >&2
	exit 130
}

# run_child OUT SECONDS SHOW CMD...: run CMD under timeout(1) in the
# background, output in OUT (shown indented as it comes when SHOW is 1);
# its exit status in RUN_RC.  In the background, so that a signal to
# run-all is handled at once rather than after the child ends.
run_child() {
	local out=$1 secs=$2 show=$3 tailpid=
	shift 3
	: > "$out"
	timeout -k 10 "$secs" "$@" < /dev/null > "$out" 2>&1 &
	child=$!
	if [ "$show" = 1 ]; then
		tail -s 0.1 -n +1 -f --pid="$child" "$out" | sed -u 's/^/    /' &
		tailpid=$!
	fi
	while :; do
		wait "$child"
		RUN_RC=$?
		kill -0 "$child" 2> /dev/null || break
	done
	child=
	[ -n "$tailpid" ] && wait "$tailpid"
	stop_if_interrupted
}

# TAP counts of a file: "PASS FAIL PLAN" (PLAN -1 when none).
tap_count() {
	awk '
		/^ok([ \t]|$)/ { p++ }
		/^not ok([ \t]|$)/ { if ($0 ~ /#[ \t]*TODO/) p++; else f++ }
		/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; have = 1 }
		END {
			n = p + f
			if (have && plan > n) f += plan - n
			print p + 0, f + 0, (have ? plan : -1)
		}' "$1"
}

# --- unit tests ----------------------------------------------------------

unit_stage() {
	local label=$1 dir=$2 log=$STATE/logs/unit-$1.log rc p f pass fail
	local t0=$SECONDS
	echo "## unit tests ($label) in $dir"
	run_child "$log" "${UNIT_TIMEOUT:-1800}" 0 make -C "$dir" -j2 check
	rc=$RUN_RC
	p=0 f=0
	for k in PASS XFAIL; do
		p=$((p + $(grep -E "^# $k: +[0-9]+" "$log" | tail -n 1 | awk '{print $3}' | grep . || echo 0)))
	done
	for k in FAIL ERROR XPASS; do
		f=$((f + $(grep -E "^# $k: +[0-9]+" "$log" | tail -n 1 | awk '{print $3}' | grep . || echo 0)))
	done
	pass=$p fail=$f
	grep -E '^(FAIL|ERROR|XPASS):' "$log" | while IFS= read -r line; do
		echo "    $line"
	done
	grep -E '^(FAIL|ERROR|XPASS):' "$log" > "$STATE/tmp/unit-fail.$$"
	while IFS= read -r line; do
		fail_note "unit ($label): $line"
	done < "$STATE/tmp/unit-fail.$$"
	rm -f "$STATE/tmp/unit-fail.$$"
	if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
		fail=1
		fail_note "unit ($label): make check failed (exit $rc), log $log"
		grep -E 'error:|Error [0-9]|ERROR:|runtime error|Sanitizer' "$log" | head -n 20 | sed 's/^/    /'
		tail -n 10 "$log" | sed 's/^/    /'
	fi
	if [ "$fail" != 0 ]; then
		# The test logs of the failing programs, for the sanitizer reports.
		for tl in "$dir"/tests/unit/*.log; do
			[ -f "$tl" ] || continue
			grep -qE '^not ok|Sanitizer|runtime error' "$tl" || continue
			echo "    --- $tl"
			grep -E -A12 '^not ok|ERROR: .*Sanitizer|runtime error' "$tl" | head -n 40 | sed 's/^/    /'
		done
	fi
	echo "   $label: $pass passed, $fail failed ($((SECONDS - t0)) s; log $log)"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
}

if [ -n "$do_unit" ]; then
	if [ -n "$do_asan" ]; then
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
		export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
		if STACK_QUIET=1 stack_build_asan; then
			unit_stage asan "$STATE/build-asan"
		else
			echo "## unit tests (asan): configure failed"
			total_fail=$((total_fail + 1))
			fail_note "unit (asan): configure failed, log $STATE/logs/build-asan.log"
		fi
		unset ASAN_OPTIONS UBSAN_OPTIONS
	fi
	unit_stage normal "${BUILDDIR:-$srcdir}"
fi

# --- integration and browser tests -----------------------------------------

selected() {
	local p
	[ ${#patterns[@]} -eq 0 ] && return 0
	for p in "${patterns[@]}"; do
		case $1 in *"$p"*) return 0 ;; esac
	done
	return 1
}

# run_tap LABEL OUT CMD...: run one test program, show its output indented,
# count its TAP lines.
run_tap() {
	local label=$1 out=$2 rc p f plan t0=$SECONDS line
	shift 2
	echo "## $label"
	run_child "$out" "$TEST_TIMEOUT" 1 "$@"
	rc=$RUN_RC
	read -r p f plan < <(tap_count "$out")
	while IFS= read -r line; do
		fail_note "$label: $line"
	done < <(grep -E '^not ok' "$out" | grep -vE '#[[:space:]]*TODO')
	local ran
	ran=$(grep -cE '^(not )?ok([ \t]|$)' "$out")
	# tap_count counted the tests missing from the plan as failures.
	[ "$plan" -gt "$ran" ] && fail_note "$label: planned $plan tests, ran $ran"
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail_note "$label: killed after ${TEST_TIMEOUT}s (TEST_TIMEOUT)"
		f=$((f + 1))
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		fail_note "$label: exited with status $rc"
		f=1
	elif [ "$((p + f))" = 0 ]; then
		fail_note "$label: ran no test"
		f=1
	fi
	echo "   $label: $p passed, $f failed ($((SECONDS - t0)) s)"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

shopt -s nullglob
if [ -n "${STACK_SETUP_FAILED:-}" ]; then
	echo "## integration and browser tests not run: the stack did not come up"
	total_fail=$((total_fail + 1))
	fail_note "stack set-up: $STACK_SETUP_FAILED"
else
	for t in tests/integration/t*.sh; do
		[ -x "$t" ] || continue
		name=$(basename "$t" .sh)
		selected "$name" || continue
		run_tap "$name" "$STATE/logs/tests/$name.out" "./$t"
		if ! out=$(stack_ensure 2>&1); then
			echo "   after $name: could not restart the stack: $out"
			fail_note "after $name: stack_ensure failed: $(echo "$out" | tail -n 3)"
			total_fail=$((total_fail + 1))
		elif [ -n "$out" ]; then
			echo "$out" | sed "s/^/   after $name: /"
		fi
	done

	browser=()
	if [ -n "$do_browser" ]; then
		for t in tests/browser/*.mjs; do
			selected "$(basename "$t")" && browser+=("$t")
		done
	fi
	if [ ${#browser[@]} -gt 0 ]; then
		export CHROMIUM_PATH=${CHROMIUM_PATH:-$(command -v chromium)}
		if ! (cd tests/browser && node --input-type=module \
		    -e "await import('playwright-core')") > /dev/null 2>&1; then
			echo "## installing playwright-core into tests/browser/node_modules"
			if ! (cd tests/browser && if [ -f package.json ]; then
				npm install --no-audit --no-fund
			else
				npm install --no-audit --no-fund --no-save --no-package-lock playwright-core
			fi) > "$STATE/logs/npm.log" 2>&1; then
				tail -n 10 "$STATE/logs/npm.log" | sed 's/^/    /'
				fail_note "browser: npm install failed, log $STATE/logs/npm.log"
				total_fail=$((total_fail + 1))
				browser=()
			fi
		fi
		for t in "${browser[@]}"; do
			name=$(basename "$t" .mjs)
			run_tap "browser/$name" "$STATE/logs/tests/browser-$name.out" node "$t"
			out=$(stack_ensure 2>&1) || fail_note "after $name: stack_ensure failed"
			[ -n "$out" ] && echo "$out" | sed "s/^/   after $name: /"
		done
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "## failures"
	printf '    %s\n' "${failures[@]}"
fi
summary="$total_pass passed, $total_fail failed"
if [ -n "${RUN_ALL_SUMMARY_FILE:-}" ]; then
	echo "$summary" > "$RUN_ALL_SUMMARY_FILE"
else
	echo "$summary"
fi
[ "$total_fail" = 0 ]
