#!/usr/bin/env bash
# t0503-admin-instances.sh: instances through the admin pages against the
# simulator: server choice (active -> room -> priority -> least used, and
# the errors naming why none fits), one client = one instance (twice ->
# one; a gateway 403 "already in use" -> reconnect), QR connect and scan,
# the 90 % warning, delete (logout + delete on the server, then in wapool),
# orphans (page and wapoolctl).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/admin.sh"

run=$(unique_id)
u=in$run
admin_user "$u" "pw-$u-secret"
admin_login "$u" "pw-$u-secret" || bail_out "cannot sign in"

# Only this test's servers take part: the others are switched off meanwhile.
was_active=$(db "SELECT GROUP_CONCAT(id) FROM gateways WHERE active = 1")
if [ -n "$was_active" ] && [ "$was_active" != NULL ]; then
	at_exit "db 'UPDATE gateways SET active = 1 WHERE id IN ($was_active)'"
fi
db "UPDATE gateways SET active = 0"
tenant=$(db "SELECT id FROM tenants WHERE slug = 'imperio'")

add_gateway() {	# NAME CAPACITY PRIORITY ACTIVE -> id
	page POST /admin/gateways "name=$1" kind=evolution "base_url=$SIM_URL" "api_key=$SIM_API_KEY" \
		"capacity=$2" "priority=$3" "active=$4"
	db "SELECT id FROM gateways WHERE name = '$1'"
}
add_instance() {	# CLIENT [GATEWAY] [PHONE] [NAME]: sets HTTP_*; prints nothing
	page POST /admin/instances "tenant=$tenant" "client_ref=$1" "gateway=${2:-0}" "phone=${3:-}" \
		"name=${4:-}"
}
instance_of() {	# CLIENT -> "id gateway_id" of the client's live instance
	db "SELECT id, gateway_id FROM instances WHERE tenant_id = $tenant AND client_ref = '$1' AND deleted_at IS NULL" | tr '\t' ' '
}
created=()
at_exit 'for n in "${created[@]}"; do sim_delete "/_sim/instances/$n" > /dev/null; done;
	db "UPDATE instances SET deleted_at = NOW(6), client_ref = NULL, name = CONCAT(LEFT(name, 70), \"~\", id) WHERE name LIKE \"imperio-c$run-%\" AND deleted_at IS NULL"'

# --- no server at all ------------------------------------------------------------
add_instance "c$run-0"
is "$HTTP_STATUS" 409 "no active server: 409, the form again"
like "$HTTP_BODY" 'id="e-gateway">no gateway server available: all [0-9]+ gateway servers? (is|are) inactive<' \
	"the error beside the server field says all servers are inactive"

low=$(add_gateway "low-$run" 3 1 1)
high1=$(add_gateway "high1-$run" 1 5 1)
high2=$(add_gateway "high2-$run" 2 5 1)
off=$(add_gateway "off-$run" 5 9 0)
like "$low $high1 $high2 $off" '^[0-9]+ [0-9]+ [0-9]+ [0-9]+$' "four servers added on the simulator"

# --- the choice rule ---------------------------------------------------------------
for i in 1 2 3 4; do
	add_instance "c$run-$i"
	like "$HTTP_STATUS $(location)" '^303 /admin/instances/[0-9]+/connect\?done=created$' \
		"instance $i: 303 to its connect page"
	created+=("imperio-c$run-$i")
done
is "$(instance_of "c$run-1" | cut -d' ' -f2)" "$high1" "1st: the highest priority (inactive one skipped), the older of two equally used"
is "$(instance_of "c$run-2" | cut -d' ' -f2)" "$high2" "2nd: high1 is full, so the other priority-5 server"
is "$(instance_of "c$run-3" | cut -d' ' -f2)" "$high2" "3rd: high2 still has room and beats the lower priority"
is "$(instance_of "c$run-4" | cut -d' ' -f2)" "$low" "4th: both priority-5 servers full, the low one"
add_instance "c$run-5" "$high1"
is "$HTTP_STATUS" 409 "picking a full server: 409"
like "$HTTP_BODY" "id=\"e-gateway\">gateway server is full: high1-$run 1/1<" "the error names the full server"
add_instance "c$run-5" "$off"
like "$HTTP_BODY" "id=\"e-gateway\">gateway server &quot;off-$run&quot; is inactive<" "picking an inactive server names it"
add_instance "c$run-5"; created+=("imperio-c$run-5")
add_instance "c$run-6"; created+=("imperio-c$run-6")
add_instance "c$run-7"
is "$HTTP_STATUS" 409 "every active server full: 409"
like "$HTTP_BODY" "id=\"e-gateway\">no gateway server available: every active server is full \\(" \
	"the error says every active server is full"
like "$HTTP_BODY" "high1-$run 1/1" "and lists the servers with their usage"

# --- 90 % warning --------------------------------------------------------------------
http GET /api/evolution/usage -H "Authorization: Bearer $API_KEY"
is "$HTTP_STATUS" 200 "GET /api/evolution/usage with the API key: 200"
is "$(json_py "[s['status'] for s in d['servers'] if s['name'] == 'high1-$run'][0]")" full \
	"usage: the full server's status is full"
is "$(json_py "[(s['connected'], s['capacity'], s['available'], s['usage_percentage']) for s in d['servers'] if s['name'] == 'high2-$run'][0]")" \
	"[0, 2, 0, 100.0]" "usage: connected, capacity, available, usage_percentage per server"
like "$(json_py "d['total_instances'] >= 6 and d['total_capacity'] == 6")" true "usage: totals (active capacity)"
like "$(json_get warnings)" "high1-$run.* is at 100% of its capacity" "usage: the warning names the server"
is "$(db "SELECT COUNT(*) FROM alerts WHERE kind = 'gateway_capacity' AND gateway_id = $high1 AND resolved_at IS NULL")" 1 \
	"an alert is open for it (once)"
page GET /admin/
like "$HTTP_BODY" "<p class=\"notice warn\" data-alert=\"[0-9]+\"><strong>gateway_capacity</strong> gateway server &quot;high1-$run&quot; is at 100%" \
	"the dashboard shows the warning"
like "$HTTP_BODY" "class=\"status-full\"><td><a href=\"/admin/gateways/$high1\">high1-$run</a>" \
	"the dashboard marks the full server's usage bar"

# --- one client = one instance -------------------------------------------------------
read -r first _ <<< "$(instance_of "c$run-1")"
add_instance "c$run-1"
is "$HTTP_STATUS $(location)" "303 /admin/instances/$first/connect?done=exists" \
	"the same client again: 303 to its existing instance"
is "$(db "SELECT COUNT(*) FROM instances WHERE client_ref = 'c$run-1'")" 1 "still one instance for the client"
page GET "/admin/instances/$first/connect?done=exists"
like "$HTTP_BODY" 'No second instance was created' "the page says it reconnects the same instance"
is "$(sim_get /_sim/instances/imperio-c$run-1 > /dev/null; echo "$HTTP_STATUS")" 200 "the simulator has it once"

# a name already in use on the server (403) is taken as "exists: reconnect"
db "UPDATE gateways SET capacity = 10 WHERE id = $low"
sim_post /_sim/instances "{\"name\":\"imperio-c$run-gw\"}" > /dev/null
add_instance "c$run-gw" "$low"; created+=("imperio-c$run-gw")
like "$HTTP_STATUS $(location)" '^303 /admin/instances/[0-9]+/connect\?done=created$' \
	"a name already on the server (403 in use): reconnected, not an error"
is "$(db "SELECT COUNT(*) FROM instances WHERE client_ref = 'c$run-gw' AND deleted_at IS NULL")" 1 "one instance in wapool"

# --- connect by QR ---------------------------------------------------------------
add_instance "c$run-qr" "$low" "(11) 98888-$((run % 9000 + 1000))" ; created+=("imperio-c$run-qr")
qr=$(location | sed 's|/admin/instances/\([0-9]*\)/.*|\1|')
like "$qr" '^[0-9]+$' "an instance with a phone number (formatted as people write it) is created"
like "$(sim_get /_sim/instances/imperio-c$run-qr; json_get webhook.url)" \
	"/webhook/gateway/evolution/$GATEWAY_CALLBACK_TOKEN\$" "the instance was created with wapool's callback URL"
page GET "/admin/instances/$qr/connect"
is "$HTTP_STATUS" 200 "the connect page: 200"
like "$HTTP_BODY" '<img id="qr" alt="QR code to link WhatsApp" width="264" height="264" src="data:image/png;base64,[A-Za-z0-9+/=]+">' \
	"it shows the server's QR image"
like "$HTTP_BODY" 'class="pairing" data-field="pairing_code">[A-Z0-9]{8}<' "and the pairing code (a phone was given)"
like "$HTTP_BODY" '<noscript><meta http-equiv="refresh"' "it refreshes by itself without JavaScript"
is "$(db "SELECT state FROM instances WHERE id = $qr")" connecting "the instance is connecting"
sim_post "/_sim/instances/imperio-c$run-qr/scan" > /dev/null
http GET "/api/instances/$qr" -H "Authorization: Bearer $API_KEY"
is "$(json_get state)" connected "after the scan GET /api/instances/$qr says connected"
is "$(db "SELECT state FROM instances WHERE id = $qr")" connected "and wapool recorded it"
page GET "/admin/instances/$qr/connect"
like "$HTTP_BODY" 'data-connected>Connected' "the connect page says connected"
http GET /api/instances/connected -H "Authorization: Bearer $API_KEY"
like "$(json_py "[i['name'] for i in d['instances']]")" "imperio-c$run-qr" "GET /api/instances/connected lists it"

# --- delete: logout + delete on the server, then in wapool -----------------------------
page GET "/admin/instances/$qr/delete"
like "$HTTP_BODY" 'Disconnect and delete' "the delete confirmation page"
page POST "/admin/instances/$qr/delete"
is "$HTTP_STATUS $(location)" "303 /admin/instances?done=deleted" "delete: 303 to the list"
sim_get "/_sim/instances/imperio-c$run-qr"
is "$HTTP_STATUS" 404 "the instance is gone from the server"
is "$(db "SELECT deleted_at IS NOT NULL, client_ref IS NULL FROM instances WHERE id = $qr" | tr '\t' ' ')" "1 1" \
	"it is deleted in wapool and freed from its client"
add_instance "c$run-qr" "$low"
like "$(location)" '^/admin/instances/[0-9]+/connect\?done=created$' "the client can now get a new instance"
isnt "$(location)" "/admin/instances/$qr/connect?done=created" "a new one, not the deleted one"
page GET "/admin/instances/$qr/connect"
is "$HTTP_STATUS" 404 "the deleted instance's page: 404"

# --- orphans ---------------------------------------------------------------------------
sim_post /_sim/instances "{\"name\":\"stray-$run\"}" > /dev/null
read -r stale _ <<< "$(instance_of "c$run-4")"
db "UPDATE instances SET state = 'disconnected', disconnected_since = NOW(6) - INTERVAL 40 DAY WHERE id = $stale"
page GET /admin/instances/orphans
is "$HTTP_STATUS" 200 "the orphans page: 200"
like "$HTTP_BODY" "<td>stray-$run</td><td>[^<]*</td><td>unknown to wapool</td>" "an instance only on the server is an orphan"
like "$HTTP_BODY" "<td>imperio-c$run-4</td><td>low-$run</td><td>disconnected too long</td>" \
	"an instance disconnected for 40 days is an orphan"
unlike "$HTTP_BODY" "<td>imperio-c$run-1</td>" "a live instance is not"
like "$(wapoolctl instances orphans)" "stray-$run"$'\t'".*unknown to wapool" "wapoolctl instances orphans lists them too"
page POST /admin/instances/orphans "gateway=$low" "name=imperio-c$run-1"
is "$HTTP_STATUS" 409 "deleting a known instance as an orphan is refused"
page POST /admin/instances/orphans "gateway=$low" "name=stray-$run"
is "$HTTP_STATUS $(location)" "303 /admin/instances?done=orphan-deleted" "deleting the orphan: 303"
sim_get "/_sim/instances/stray-$run"
is "$HTTP_STATUS" 404 "the orphan is gone from the server"

# --- escaping on the list --------------------------------------------------------------
add_instance "c$run-<script>alert('x')</script>" "$low" "" "c$run-esc"
created+=("c$run-esc")
page GET "/admin/instances?gateway=$low"
like "$HTTP_BODY" "c$run-&lt;script&gt;alert\\(&#39;x&#39;\\)&lt;/script&gt;" "a client name is shown escaped"
unlike "$HTTP_BODY" "<script>alert" "no script from the database reaches the page"
add_instance "c$run-badname" "$low" "" "bad name/with'quote"
like "$HTTP_BODY" 'id="e-name">only letters, digits' "an instance name the gateway cannot take is refused beside the field"
add_instance "c$run-badphone" "$low" "12ab"
like "$HTTP_BODY" 'id="e-phone">' "a bad phone is refused beside the field"

db "UPDATE gateways SET active = 0 WHERE id IN ($low, $high1, $high2, $off)"
done_testing
