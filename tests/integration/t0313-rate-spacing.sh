#!/usr/bin/env bash
# t0313-rate-spacing.sh: anti-ban spacing on a 4-instance pool of an
# unofficial gateway with two daemons.  Spacing 2-4 s here (the default
# stays 15-45 s): every instance's consecutive texts are at least 2 s apart
# (one daemon per slot), the gaps vary, and a "typing" presence for the
# same number precedes each text in the simulator's record.
. "$(dirname "$0")/../lib.sh"

total=${SPACING_TOTAL:-24}
dw_world 4 round_robin nohooks
dw_env spacing_min_seconds=2 spacing_max_seconds=4 typing=yes
dw_start 1 || bail_out "wapoold 1 does not start"
dw_start 2 || bail_out "wapoold 2 does not start"

dw_insert "$total"
run=$DW_WHERE
wait_until $(( total * 4 + 30 )) "[ \"\$(dw_count \"$run AND $DW_SENT\")\" = $total ]" ||
	diag "$(dw_q "SELECT state, wait_reason, COUNT(*) FROM messages WHERE $run GROUP BY 1, 2")"
is "$(dw_count "$run AND $DW_SENT")" "$total" "all $total messages are sent"
is "$(dw_count "$run AND attempts <> 1")" 0 "waiting for a slot spent no attempt"

: > "$TEST_TMP/record"
for k in 1 2 3 4; do
	sim_get "/_sim/sends?instance=${DW_NAME[k]}"
	printf '%s' "$HTTP_BODY" >> "$TEST_TMP/record"
	printf '\n' >> "$TEST_TMP/record"
done
out=$("$PYTHON" - "$TEST_TMP/record" << 'PYEOF'
import json, sys
min_gap, gaps, untyped, texts = None, [], 0, 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    sends = json.loads(line)["sends"]
    last_text = None
    for i, s in enumerate(sends):
        if s["kind"] != "text":
            continue
        texts += 1
        before = sends[i - 1] if i > 0 else None
        if not (before and before["kind"] == "presence" and before["number"] == s["number"]):
            untyped += 1
        if last_text is not None:
            g = s["t_us"] - last_text
            gaps.append(g)
            min_gap = g if min_gap is None else min(min_gap, g)
        last_text = s["t_us"]
print(texts, min_gap or 0, len(set(g // 10000 for g in gaps)), len(gaps), untyped)
PYEOF
)
read -r texts min_gap distinct ngaps untyped <<< "$out"
diag "$texts texts, smallest gap ${min_gap} us, $distinct distinct gaps (10 ms) of $ngaps"
is "$texts" "$total" "the simulator received $total texts"
check "consecutive texts of an instance are at least 2 s apart ($min_gap us)" \
	test "$min_gap" -ge 2000000
check "the gaps vary ($distinct distinct of $ngaps)" test "$distinct" -ge $(( ngaps * 3 / 4 ))
is "$untyped" 0 "a typing presence for the same number precedes every text"

dw_stop 1
dw_stop 2
done_testing
