#!/usr/bin/env bash
# t0312-rate-pair.sh: the pair rate.  30 messages to one recipient with
# 10/min go out no faster than 10 in any sliding minute at the gateway,
# while 40 messages to other recipients flow at once.  (PAIR_TOTAL=N
# shortens the run: N to one recipient take about (N - 1) * 6.2 s.)
. "$(dirname "$0")/../lib.sh"

same=${PAIR_TOTAL:-30}
dw_world 1 round_robin nohooks
dw_env rate_pair_per_minute=10
dw_start 1 || bail_out "wapoold 1 does not start"
dw_start 2 || bail_out "wapoold 2 does not start"

rcpt=+5521$(printf '%09d' $(( $(unique_id) % 1000000000 )))
dw_insert "$same" "recipient='$rcpt'"
pair=$DW_WHERE
dw_insert 40
others=$DW_WHERE
wait_until 20 "[ \"\$(dw_count \"$others AND $DW_SENT\")\" = 40 ]"
is "$(dw_count "$others AND $DW_SENT")" 40 "messages to other recipients flow meanwhile"
check "the one recipient is held back meanwhile" \
	test "$(dw_count "$pair AND $DW_SENT")" -le 10

wait_until $(( same * 7 + 30 )) "[ \"\$(dw_count \"$pair AND $DW_SENT\")\" = $same ]" ||
	diag "$(dw_q "SELECT state, wait_reason, COUNT(*) FROM messages WHERE $pair GROUP BY 1, 2")"
is "$(dw_count "$pair AND $DW_SENT")" "$same" "all $same to the one recipient are sent"
is "$(dw_count "$pair AND attempts <> 1")" 0 "waiting on the pair gate spent no attempt"
dw_sends 1 | awk -v n="${rcpt#+}" '$1 == n { print $4 }' > "$TEST_TMP/pair"
read -r count best span < <("$PYTHON" - "$TEST_TMP/pair" << 'PYEOF'
import sys
t = sorted(int(x) for x in open(sys.argv[1]))
best, j = 0, 0
for i in range(len(t)):
    while j < len(t) and t[j] - t[i] <= 60000000:
        j += 1
    best = max(best, j - i)
print(len(t), best, "%.1f" % ((t[-1] - t[0]) / 1e6 if t else 0))
PYEOF
)
diag "recipient $rcpt: $count sends over $span s, largest 60 s window $best"
is "$count" "$same" "the simulator received $same for that recipient"
check "no sliding minute holds more than 10 to that recipient ($best)" test "$best" -le 10

dw_stop 1
dw_stop 2
done_testing
