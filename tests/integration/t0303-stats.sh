#!/usr/bin/env bash
# t0303-stats.sh: GET /api/webhooks/stats counts what the queue holds: today's
# messages by state, per pool and per instance, the success rate, the
# average queue-to-sent delay, the queue depth; it needs the API key.
. "$(dirname "$0")/../lib.sh"

http GET /api/webhooks/stats
is "$HTTP_STATUS" 401 "without the API key: 401"

dw_world 2 round_robin nohooks
dw_start || bail_out "wapoold does not start"
dw_insert 6
wait_until 15 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 6 ]"
is "$(dw_count "$DW_WHERE AND $DW_SENT")" 6 "6 messages through a pool of 2 are sent"
dw_stop

http GET /api/webhooks/stats -H "Authorization: Bearer $API_KEY"
is "$HTTP_STATUS" 200 "with the API key: 200"
stats=$HTTP_BODY
is "$(json_py "sum(d['pools'][i]['messages'][s] for i in range(len(d['pools'])) for s in ('sent','delivered','read') if d['pools'][i]['pool'] == '$DW_POOL')" "$stats")" 6 \
	"the test's pool shows its 6 sent messages"
is "$(json_py "','.join(str(sum(x['messages'][s] for s in ('sent','delivered','read'))) for x in d['instances'] if x['instance'] in ('${DW_NAME[1]}', '${DW_NAME[2]}'))" "$stats")" "3,3" \
	"each instance of the pool shows 3 (round-robin)"
is "$(json_get messages_today "$stats")" "$(db "SELECT COUNT(*) FROM messages WHERE created_at >= UTC_DATE()")" \
	"messages_today counts every message created today"
is "$(json_py "sum(d['by_state'].values()) == d['messages_today']" "$stats")" true \
	"the states add up to messages_today"
delay=$(json_get average_delay_ms "$stats")
check "the average queue-to-sent delay is positive and plausible ($delay ms)" \
	"$PYTHON" -c "import sys; sys.exit(0 if 0 < $delay < 600000 else 1)"
rate=$(json_get success_rate "$stats")
check "the success rate is a fraction ($rate)" \
	"$PYTHON" -c "import sys; sys.exit(0 if 0 <= $rate <= 1 else 1)"
is "$(json_get queue_depth "$stats")" "$(db "SELECT COUNT(*) FROM messages WHERE state = 'pending'")" \
	"queue_depth is the number of pending messages"

done_testing
