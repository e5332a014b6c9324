#!/usr/bin/env bash
# t0504-admin-events-queue.sh: the Pools | Events tabs (a payload holding
# <script> shows escaped, never as markup), the queue page's actions, and
# the send API POST /api/messages.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/admin.sh"

run=$(unique_id)
u=ev$run
admin_user "$u" "pw-$u-secret"
admin_login "$u" "pw-$u-secret" || bail_out "cannot sign in"

# --- Events ------------------------------------------------------------------
payload="{\"id\":$run,\"note\":\"<script>alert('pwn')</script>\",\"billing\":{\"phone\":\"<img src=x onerror=alert(1)>\"}}"
http POST /webhook/imperio/order_paid -H "Authorization: Bearer $ROUTE_SECRET_ORDER_PAID" --data "$payload"
is "$HTTP_STATUS" 422 "a webhook whose phone is markup is rejected (422)"
ev=$(db "SELECT MAX(id) FROM webhook_events WHERE status = 'rejected'")
page GET '/admin/webhooks?tab=events&status=rejected&tenant=imperio'
is "$HTTP_STATUS" 200 "the Events tab: 200"
like "$HTTP_BODY" 'aria-current="page">Events</a>' "the Events tab is the current one"
like "$HTTP_BODY" "<a href=\"/admin/webhooks/events/$ev\">$ev</a>" "the rejected event is listed"
like "$HTTP_BODY" '&lt;img src=x onerror=alert\(1\)&gt;' "its reason shows the value escaped"
unlike "$HTTP_BODY" '<img src=x' "no markup from the reason reaches the page"
page GET '/admin/webhooks?tab=events&status=accepted&tenant=imperio'
unlike "$HTTP_BODY" "events/$ev\"" "the status filter leaves it out of the accepted list"
page GET '/admin/webhooks?tab=events&event=order_paid&tenant=imperio'
like "$HTTP_BODY" "<a href=\"/admin/webhooks/events/$ev\">$ev</a>" "the event filter keeps it under its event"
like "$HTTP_BODY" 'name="event"[^>]* value="order_paid"' "and the filter form keeps the value"
page GET '/admin/webhooks?tab=events&event=order_expired&tenant=imperio'
unlike "$HTTP_BODY" "events/$ev\"" "the event filter leaves it out under another event"
# SQL and HTML metacharacters in the filters: bound, not spliced; shown verbatim, escaped
page GET "/admin/webhooks?tab=events&tenant=x%27%20OR%20%271%27%3D%271&event=%22%3E%3Cb%3Ex"
is "$HTTP_STATUS" 200 "filters holding quotes and markup: 200"
like "$HTTP_BODY" 'No event matches' "a quote in a filter matches nothing (no SQL injection)"
like "$HTTP_BODY" 'value="x&#39; OR &#39;1&#39;=&#39;1"' "the tenant filter is shown verbatim, escaped"
like "$HTTP_BODY" 'value="&quot;&gt;&lt;b&gt;x"' "the event filter too"
unlike "$HTTP_BODY" '<b>x' "no markup from a filter reaches the page"
page GET "/admin/webhooks/events/$ev"
is "$HTTP_STATUS" 200 "the event's page: 200"
like "$HTTP_BODY" '&quot;note&quot;:&quot;&lt;script&gt;alert\(&#39;pwn&#39;\)&lt;/script&gt;&quot;' \
	"the payload holding <script> is shown escaped"
unlike "$HTTP_BODY" "<script>alert" "the payload is never markup"
like "$HTTP_BODY" '<dd>rejected</dd><dt>HTTP status</dt><dd>422</dd>' "with its status and HTTP code"
page GET /admin/webhooks/events/999999999
is "$HTTP_STATUS" 404 "an event that does not exist: 404"

# --- Pools ---------------------------------------------------------------------
page GET /admin/webhooks
like "$HTTP_BODY" 'aria-current="page">Pools</a>' "the Pools tab is the default"
like "$HTTP_BODY" '<h2>imperio-webhook <small>tenant imperio' "the demo pool is shown"
like "$HTTP_BODY" '<td>imperio-webhook-1</td><td><span class="badge state-[a-z]+">' "with its members' live state"

# --- the send API ---------------------------------------------------------------
http POST /api/messages -H "Authorization: Bearer $API_KEY" \
	--data "{\"tenant\":\"imperio\",\"to\":\"(11) 98765-4321\",\"text\":\"Reserva $run confirmada\"}"
is "$HTTP_STATUS" 202 "POST /api/messages: 202"
mid=$(json_get message_id)
is "$(json_get status)" pending "status pending"
is "$(db "SELECT recipient, priority, pool_id IS NOT NULL FROM messages WHERE id = $mid" | tr '\t' ' ')" \
	"+5511987654321 10 1" "stored normalised, in the transactional lane, in the tenant's pool"
http POST /api/messages -H "Authorization: Bearer $API_KEY" \
	--data "{\"tenant\":\"imperio\",\"to\":\"11987654321\",\"text\":\"x\",\"instance\":\"imperio-webhook-2\"}"
is "$HTTP_STATUS" 202 "naming an instance: 202"
is "$(db "SELECT i.name FROM messages m JOIN instances i ON i.id = m.instance_id WHERE m.id = $(json_get message_id)")" \
	imperio-webhook-2 "the message is forced to that instance"
http POST /api/messages -H "Authorization: Bearer $API_KEY" --data '{"tenant":"imperio","to":"123","text":"x"}'
is "$HTTP_STATUS $(json_get error)" "422 invalid_phone" "a bad number: 422 invalid_phone"
http POST /api/messages -H "Authorization: Bearer $API_KEY" --data '{"tenant":"imperio","text":"x"}'
is "$HTTP_STATUS" 400 "a missing field: 400"
http POST /api/messages -H "Authorization: Bearer $API_KEY" --data '{"tenant":"nobody","to":"11987654321","text":"x"}'
is "$HTTP_STATUS $(json_get error)" "422 unknown_reference" "an unknown tenant: 422"
http POST /api/messages -H "Authorization: Bearer $API_KEY" --data '{"tenant":"imperio","to":"11987654321","text":"x","pool":"a","instance":"b"}'
is "$HTTP_STATUS" 400 "pool and instance together: 400"
http POST /api/messages -H "Authorization: Bearer $API_KEY" --ctype text/plain --data 'hello'
is "$HTTP_STATUS" 415 "not JSON: 415"

# --- the queue page ---------------------------------------------------------------
tenant=$(db "SELECT id FROM tenants WHERE slug = 'imperio'")
db "INSERT INTO messages (tenant_id, recipient, body, not_before) VALUES ($tenant, '+5511900000001', 'later $run', NOW(6) + INTERVAL 1 DAY)"
later=$(db "SELECT id FROM messages WHERE body = 'later $run'")
db "INSERT INTO messages (tenant_id, recipient, body, state, attempts, last_error, finished_at) VALUES ($tenant, '+5511900000002', 'dead $run', 'dead', 8, '<b>boom</b> $run', NOW(6))"
dead=$(db "SELECT id FROM messages WHERE body = 'dead $run'")
page GET /admin/queue
is "$HTTP_STATUS" 200 "the queue page: 200"
like "$HTTP_BODY" "<td>$later</td>" "a pending message is listed"
page GET '/admin/queue?state=dead'
like "$HTTP_BODY" "<td>$dead</td>" "the dead message is listed under dead"
like "$HTTP_BODY" "&lt;b&gt;boom&lt;/b&gt; $run" "its last error is shown escaped"
page POST /admin/queue/clear "message=$later"
like "$HTTP_STATUS $(location)" '^303 /admin/queue\?state=pending&done=clear&n=1$' "cancel one pending message: 303"
is "$(db "SELECT state FROM messages WHERE id = $later")" cancelled "it is cancelled"
page POST /admin/queue/clear "message=$later"
is "$HTTP_STATUS" 409 "cancelling it again: 409"
page POST /admin/queue/retry "message=$dead"
like "$HTTP_STATUS $(location)" '^303 /admin/queue\?state=dead&done=retry&n=1$' "retry the dead message: 303"
isnt "$(db "SELECT state FROM messages WHERE id = $dead")" dead "it left the dead-letter queue"
page POST /admin/queue/recover
like "$HTTP_STATUS $(location)" '^303 /admin/queue\?state=sending&done=recover&n=[0-9]+$' "recover expired leases: 303"
page POST /admin/queue/explode
is "$HTTP_STATUS" 404 "an unknown queue action: 404"
db "UPDATE messages SET state = 'cancelled', finished_at = NOW(6) WHERE id = $dead AND state = 'pending'"

done_testing
