#!/usr/bin/env bash
# t0302-queue-api.sh: the queue API (GET/POST /api/whatsapp/queue/stats),
# the pools view (GET /api/webhooks/pools), the operator controls
# (POST /api/instances/{id}/{action}, /api/pools/{id}/{action}) and the
# same from wapoolctl: counts, DLQ retry, clear, lease recovery, 4xx
# answers that name the problem, exit codes 0/1/2.
#
# The test's pool is suspended, so the running daemon only ever defers
# our messages (no attempt spent) and never sends them.
. "$(dirname "$0")/../lib.sh"

tag=t0302-$(unique_id)
key="Authorization: Bearer $API_KEY"
Q=/api/whatsapp/queue/stats

{
	wapoolctl tenant add "$tag" &&
	wapoolctl gateway add "$tag-gw" --kind evolution --url http://127.0.0.1:9 \
		--api-key "k-$tag" --inactive &&
	wapoolctl instance add "$tag-x" --gateway "$tag-gw" --tenant "$tag" --client x \
		--token "t-$tag" --state connected &&
	wapoolctl pool add "$tag-pool" --tenant "$tag" &&
	wapoolctl pool member add "$tag-pool" "$tag-x"
} > "$TEST_TMP/setup.out" 2>&1 || bail_out "set-up failed: $(tail -n 3 "$TEST_TMP/setup.out")"
out=$(wapoolctl pool suspend "$tag-pool" 2>&1)
rc=$?
is "$rc:$out" "0:pool $tag-pool: suspended" "wapoolctl pool suspend NAME: exit 0, says so"
tenant=$(db "SELECT id FROM tenants WHERE slug = '$tag'")
gw=$(db "SELECT id FROM gateways WHERE name = '$tag-gw'")
x=$(db "SELECT id FROM instances WHERE name = '$tag-x'")
pool=$(db "SELECT id FROM pools WHERE name = '$tag-pool'")
is "$(db "SELECT admin_state FROM pools WHERE id = $pool")" suspended "the pool is suspended"
at_exit "db \"UPDATE messages SET state = 'cancelled', finished_at = NOW(6), lease_owner = ''
	WHERE tenant_id = $tenant AND state IN ('pending', 'sending', 'dead');
	UPDATE instances SET deleted_at = NOW(6) WHERE gateway_id = $gw;
	UPDATE pools SET enabled = 0 WHERE id = $pool\""
campaign=$((900000000 + RANDOM))

# msg STATE [COLUMN=SQL]...: one message of ours; prints its id.
msg() {
	local state=$1 cols= vals= kv
	shift
	for kv in "$@"; do
		cols="$cols, ${kv%%=*}"
		vals="$vals, ${kv#*=}"
	done
	db "INSERT INTO messages (tenant_id, pool_id, state, recipient, body$cols)
	    VALUES ($tenant, $pool, '$state', '+5511900000002', '$tag'$vals); SELECT LAST_INSERT_ID()"
}
dead="attempts=8 last_error='boom' finished_at=NOW(6)"
later="not_before=NOW(6)+INTERVAL 1 DAY"
d1=$(msg dead $dead)
d2=$(msg dead $dead)
c1=$(msg dead $dead campaign_id=$campaign priority=0)
c2=$(msg dead $dead campaign_id=$campaign priority=0)
p1=$(msg pending "$later")
p2=$(msg pending "$later")
cp1=$(msg pending "$later" campaign_id=$campaign priority=0)
forced=$(msg pending "$later" instance_id=$x)
sent="sent_instance_id=$x claimed_at=NOW(6) sent_at=NOW(6)"
s1=$(msg sent $sent)
msg delivered $sent delivered_at=NOW\(6\) > /dev/null
msg read $sent delivered_at=NOW\(6\) read_at=NOW\(6\) > /dev/null
msg failed $sent finished_at=NOW\(6\) > /dev/null
row() { db "SELECT $2 FROM messages WHERE id = $1"; }

# --- GET stats ----------------------------------------------------------------
http GET $Q
is "$HTTP_STATUS" 401 "GET stats without an API key: 401"
http GET $Q -H "$key"
is "$HTTP_STATUS" 200 "GET stats with the key: 200"
is "$(json_py 'sorted(k for k in d if k != "per_instance")')" \
	'["cancelled", "dead", "delivered", "expired", "failed", "oldest_pending_seconds", "pending", "read", "sending", "sent"]' \
	"every state, the oldest pending age and per_instance"
is "$(json_get dead)" "$(db "SELECT COUNT(*) FROM messages WHERE state = 'dead'")" \
	"dead counts every dead message, of all time"
like "$(json_get oldest_pending_seconds)" '^[0-9]+$' "oldest_pending_seconds is a number of seconds"
is "$(json_py "[(i['sent'], i['delivered'], i['read'], i['failed'], i['pending']) for i in d['per_instance'] if i['name'] == '$tag-x']")" \
	'[[1, 1, 1, 1, 0]]' "per_instance: what our instance sent, by state now"
http GET $Q -H "X-Api-Key: $API_KEY"
is "$HTTP_STATUS" 200 "X-Api-Key works too"

http GET "$Q?instanceId=$x" -H "$key"
is "$(json_py '(d["instance_id"], d["sent"], d["delivered"], d["read"], d["failed"], d["pending"], len(d["per_instance"]))')" \
	"[$x, 1, 1, 1, 1, 1, 1]" "?instanceId=: its sends by state, plus the pending message that names it"
like "$(json_get oldest_pending_seconds)" '^[0-9]+$' "and the age of that pending message"
http GET "$Q?instanceId=abc" -H "$key"
is "$HTTP_STATUS:$(json_get error)" "400:invalid_instance_id" "instanceId=abc: 400"
http GET "$Q?instanceId=999999999" -H "$key"
is "$HTTP_STATUS:$(json_get error)" "404:unknown_instance" "an instance that does not exist: 404"

# --- POST: what is refused ----------------------------------------------------
http POST $Q --data '{"action":"retry_dlq","queue":"webhooks"}'
is "$HTTP_STATUS" 401 "POST without an API key: 401"
http POST $Q -H "$key" --data '{"action":"purge","queue":"webhooks"}'
is "$HTTP_STATUS" 400 "unknown action: 400"
like "$(json_get message)" '"purge"' "the answer names the action"
http POST $Q -H "$key" --data '{"action":"clear","queue":"bulk"}'
is "$HTTP_STATUS" 400 "unknown queue: 400"
like "$(json_get message)" '"bulk"' "the answer names the queue"
http POST $Q -H "$key" --data '{"action":"clear","queue":'
is "$HTTP_STATUS:$(json_get error)" "400:malformed_json" "malformed JSON: 400"
like "$(json_get message)" 'unexpected end of input' "with the parser's reason"
http POST $Q -H "$key" --data '{"action":"clear"}'
is "$HTTP_STATUS:$(json_get error)" "400:missing_queue" "a whole-queue action must name the queue"
http POST $Q -H "$key" --data '{"action":"retry_dlq","jobId":"x1"}'
is "$HTTP_STATUS:$(json_get error)" "400:invalid_job_id" "jobId must be a positive integer"
http POST $Q -H "$key" --data '{"action":"clear","queue":"webhooks"}' --ctype text/plain
is "$HTTP_STATUS" 415 "a body that is not JSON by its type: 415"

# --- retry_dlq and clear, one message -----------------------------------------
http POST $Q -H "$key" --data "{\"action\":\"retry_dlq\",\"queue\":\"webhooks\",\"jobId\":$d1}"
is "$HTTP_STATUS:$(json_get action):$(json_get affected)" "200:retry_dlq:1" "retry_dlq jobId: 1 affected"
like "$(row "$d1" state)" '^(pending|sending)$' "the dead message is pending again"
is "$(row "$d1" "attempts, last_error, finished_at IS NULL, not_before < NOW(6) + INTERVAL 10 SECOND")" "0	boom	1	1" \
	"attempts 0, last_error kept, not finished, due now"
http POST $Q -H "$key" --data "{\"action\":\"retry_dlq\",\"jobId\":\"$s1\"}"
is "$HTTP_STATUS" 409 "retry_dlq of a sent message: 409"
like "$(json_get message)" "is sent, not dead" "saying what it is"
http POST $Q -H "$key" --data '{"action":"retry_dlq","jobId":999999999999}'
is "$HTTP_STATUS" 404 "retry_dlq of a message that does not exist: 404"
http POST $Q -H "$key" --data "{\"action\":\"retry_dlq\",\"queue\":\"campaigns\",\"jobId\":$d2}"
is "$HTTP_STATUS:$(row "$d2" state)" "409:dead" "a webhooks message named with queue campaigns: 409, untouched"
http POST $Q -H "$key" --data "{\"action\":\"clear\",\"queue\":\"webhooks\",\"jobId\":$p1}"
is "$HTTP_STATUS:$(json_get affected)" "200:1" "clear jobId: 1 affected"
is "$(row "$p1" "state, finished_at IS NOT NULL")" "cancelled	1" "the pending message is cancelled, finished"
http POST $Q -H "$key" --data "{\"action\":\"clear\",\"jobId\":$p1}"
is "$HTTP_STATUS" 409 "clearing it again: 409"

# --- whole queue: campaigns (the other tests' webhooks are left alone) ---------
want=$(db "SELECT COUNT(*) FROM messages WHERE state = 'pending' AND campaign_id IS NOT NULL")
http POST $Q -H "$key" --data '{"action":"clear","queue":"campaigns"}'
is "$HTTP_STATUS:$(json_get queue):$(json_get affected)" "200:campaigns:$want" \
	"clear campaigns: every pending campaign message"
is "$(row "$cp1" state):$(row "$p2" state)" "cancelled:pending" "ours is cancelled; a webhooks one is not"
want=$(db "SELECT COUNT(*) FROM messages WHERE state = 'dead' AND campaign_id IS NOT NULL")
http POST $Q -H "$key" --data '{"action":"retry_dlq","queue":"campaigns"}'
is "$HTTP_STATUS:$(json_get affected)" "200:$want" "retry_dlq campaigns: every dead campaign message"
is "$(db "SELECT COUNT(*) FROM messages WHERE state = 'dead' AND campaign_id IS NOT NULL")" 0 \
	"no dead campaign message is left"
is "$(row "$c1" attempts):$(row "$c2" attempts):$(row "$d2" state)" "0:0:dead" \
	"both of ours start over; the dead webhooks message stays dead"

# --- recover_stuck -------------------------------------------------------------
stuck=$(msg sending "lease_owner='$tag-gone'" "lease_until=NOW(6)-INTERVAL 1 MINUTE")
http POST $Q -H "$key" --data '{"action":"recover_stuck"}'
is "$HTTP_STATUS:$(json_get action)" "200:recover_stuck" "recover_stuck: 200"
like "$(json_get affected)" '^[0-9]+$' "with the number recovered"
is "$(row "$stuck" "state <> 'sending' OR lease_owner <> '$tag-gone'")" 1 \
	"a message whose lease expired is no longer held by the dead owner"

# --- wapoolctl queue ----------------------------------------------------------
out=$(wapoolctl queue retry-dlq --id "$d2" 2>&1)
is "$?:$out" "0:message $d2 back to pending" "wapoolctl queue retry-dlq --id: exit 0"
out=$(wapoolctl queue retry-dlq --id "$s1" 2>&1)
is "$?:$out" "1:wapoolctl: message $s1 is sent, not dead" "of a sent message: exit 1, says why"
wapoolctl queue retry-dlq --queue bulk > /dev/null 2>&1
is "$?" 2 "--queue bulk: usage error, exit 2"
out=$(wapoolctl queue clear --id "$p2" 2>&1)
is "$?:$out" "0:message $p2 cancelled" "wapoolctl queue clear --id: exit 0"
is "$(row "$p2" state)" cancelled "the message is cancelled"
out=$(wapoolctl queue recover 2>&1)
rc=$?
like "$rc:$out" '^0:[0-9]+ messages? with an expired lease back to pending$' "wapoolctl queue recover: exit 0"

# --- instance and breaker controls: wapoolctl ----------------------------------
inst() { db "SELECT $1 FROM instances WHERE id = $x"; }
out=$(wapoolctl instance suspend "$tag-x" 2>&1)
is "$?:$out:$(inst admin_state)" "0:instance $tag-x: suspended:suspended" "instance suspend"
out=$(wapoolctl instance drain "$tag-x" 2>&1)
is "$?:$(inst admin_state)" "0:draining" "instance drain"
out=$(wapoolctl instance resume "$tag-x" 2>&1)
is "$?:$(inst admin_state)" "0:active" "instance resume"
out=$(wapoolctl instance suspend "$tag-nobody" 2>&1)
is "$?:$out" "1:wapoolctl: instance \"$tag-nobody\" does not exist" "an unknown instance: exit 1"
wapoolctl instance suspend > /dev/null 2>&1
is "$?" 2 "no instance named: exit 2"
db "UPDATE instances SET breaker_trips = 3 WHERE id = $x"
out=$(wapoolctl breaker trip "$tag-x" 2>&1)
is "$?:$(inst "breaker_state, breaker_until IS NULL")" "0:open	1" \
	"breaker trip: open, no end time (until reset by hand)"
out=$(wapoolctl breaker reset "$tag-x" 2>&1)
is "$?:$(inst "breaker_state, breaker_trips, breaker_until IS NULL")" "0:closed	0	1" \
	"breaker reset: closed, trips 0"
out=$(wapoolctl pool drain "$tag-pool" 2>&1)
is "$?:$(db "SELECT admin_state FROM pools WHERE id = $pool")" "0:draining" "pool drain"
out=$(wapoolctl pool resume "$tag-pool" 2>&1)
is "$?:$(db "SELECT admin_state FROM pools WHERE id = $pool")" "0:active" "pool resume"

# --- the same through the API (a POST with no body: Content-Length 0) ----------
http POST "/api/pools/$pool/suspend" -H "$key" --data ''
is "$HTTP_STATUS:$(json_get admin_state)" "200:suspended" "POST /api/pools/{id}/suspend"
http POST "/api/instances/$x/drain" -H "$key" --data ''
is "$HTTP_STATUS:$(json_get id):$(json_get admin_state):$(inst admin_state)" \
	"200:$x:draining:draining" "POST /api/instances/{id}/drain"
http POST "/api/instances/$x/trip" -H "$key" --data ''
is "$HTTP_STATUS:$(json_get breaker.state):$(inst breaker_state)" "200:open:open" \
	"POST /api/instances/{id}/trip"
http POST "/api/instances/$x/reset" -H "$key" --data ''
is "$(json_get breaker.state):$(inst breaker_state)" "closed:closed" "POST /api/instances/{id}/reset"
http POST "/api/instances/$x/resume" -H "$key" --data ''
is "$(json_get admin_state):$(json_get changed)" "active:true" "POST /api/instances/{id}/resume"
http POST "/api/instances/$x/resume" -H "$key" --data ''
is "$(json_get changed)" false "resuming it again changes nothing, and says so"
http POST "/api/instances/$x/explode" -H "$key" --data ''
is "$HTTP_STATUS" 404 "an unknown action: 404"
http POST "/api/pools/$pool/trip" -H "$key" --data ''
is "$HTTP_STATUS" 404 "pools have no breaker: 404"
http POST "/api/instances/999999999/suspend" -H "$key" --data ''
is "$HTTP_STATUS" 404 "an unknown instance: 404"
http POST "/api/instances/$x/suspend" --data ''
is "$HTTP_STATUS:$(inst admin_state)" "401:active" "without the API key: 401, nothing changed"

# --- the pools view -------------------------------------------------------------
http GET /api/webhooks/pools -H "$key"
is "$HTTP_STATUS" 200 "GET /api/webhooks/pools: 200"
mine=$(json_py "[p for p in d['pools'] if p['name'] == '$tag-pool']")
is "$(json_py 'd[0]["tenant"], d[0]["strategy"], d[0]["enabled"], d[0]["admin_state"], len(d[0]["instances"])' "$mine")" \
	"[\"$tag\", \"round_robin\", true, \"suspended\", 1]" "our pool: tenant, strategy, enabled, admin state, one member"
is "$(json_py '[d[0]["instances"][0][k] for k in ("name", "state", "admin_state", "health", "breaker", "gateway", "last_health_at")]' "$mine")" \
	"[\"$tag-x\", \"connected\", \"active\", \"ok\", {\"state\": \"closed\", \"until\": null, \"trips\": 0}, \"$tag-gw\", null]" \
	"its member: state, admin state, health, breaker, gateway, last health check"
is "$(json_py '[d[0]["instances"][0][k] for k in ("sent_today", "failed_today")]' "$mine")" "[4, 1]" \
	"sent_today and failed_today"
is "$(json_py 'sorted(d[0]["instances"][0]["rate"])' "$mine")" \
	'["configured", "current_rate", "daily_remaining", "degraded", "effective", "next_slot_in_ms", "paused_until", "throttle_level", "throttled_until"]' \
	"a rate object: configured and effective limits, the gates' live state"
is "$(json_py '[d[0]["instances"][0]["rate"][k] for k in ("throttled_until", "paused_until", "throttle_level", "degraded")]' "$mine")" \
	'[null, null, 0, false]' "an instance that never sent: not throttled, not paused, shared counters"
want_mps=$(json_py 'd[0]["instances"][0]["rate"]["configured"]["mps"]' "$mine")
if [ "$want_mps" = null ]; then
	want_mps=$(sed -n 's/^rate_mps *= *//p' "$WAPOOL_CONF" | tail -n 1)
	want_mps=${want_mps:-80}
fi
is "$(json_py 'd[0]["instances"][0]["rate"]["effective"]["mps"]' "$mine")" "$want_mps" \
	"effective mps: the instance's own, else wapool.conf's"

done_testing
