#!/usr/bin/env bash
# t0502-admin-gateways.sh: the gateway servers page: add with every field
# checked and re-rendered with its error beside it, SQL metacharacters
# stored and shown verbatim (escaped), the API key masked, edit,
# deactivate, and "test connection" against the simulator.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/admin.sh"

u=gw$(unique_id)
admin_user "$u" "pw-$u-secret"
admin_login "$u" "pw-$u-secret" || bail_out "cannot sign in"

page GET /admin/gateways
is "$HTTP_STATUS" 200 "GET /admin/gateways: 200"
like "$HTTP_BODY" '<form method="post" action="/admin/gateways"' "the page has the add form"

# --- every field wrong at once -------------------------------------------------
page POST /admin/gateways name= kind=telegram base_url=ftp://x api_key= capacity=many priority=99999
is "$HTTP_STATUS" 400 "a form with bad fields: 400, the form again"
like "$HTTP_BODY" 'id="e-name">required<' "name: error beside the field"
like "$HTTP_BODY" 'id="e-kind">not one of the choices<' "kind: error beside the field"
like "$HTTP_BODY" 'id="e-base_url">must start with http:// or https://<' "base URL: error beside the field"
like "$HTTP_BODY" 'id="e-api_key">required<' "API key: error beside the field"
like "$HTTP_BODY" 'id="e-capacity">must be a whole number<' "capacity: error beside the field"
like "$HTTP_BODY" 'id="e-priority">out of range<' "priority: error beside the field"
like "$HTTP_BODY" 'name="base_url" type="url" value="ftp://x"' "what was typed is kept"

# --- SQL and HTML metacharacters, stored and shown verbatim -------------------------
id=$(unique_id)
name="gw-$id' OR '1'='1; DROP TABLE gateways;-- <b>\"x\"</b> \\ %_"
url="$SIM_URL/?q=a'b\";--"
key="key-$id-'\";--<script>-tail"
page POST /admin/gateways "name=$name" kind=evolution "base_url=$url" "api_key=$key" \
	capacity=7 priority=3 active=1
is "$HTTP_STATUS $(location)" "303 /admin/gateways?done=added" "add: 303 back to the list"
gid=$(db "SELECT id FROM gateways WHERE name = '$(printf '%s' "$name" | sed "s/'/''/g; s/\\\\/\\\\\\\\/g")'")
like "$gid" '^[0-9]+$' "the name is stored verbatim (id $gid)"
is "$(db "SELECT base_url FROM gateways WHERE id = $gid")" "$url" "the base URL is stored verbatim"
is "$(db "SELECT api_key FROM gateways WHERE id = $gid")" "$key" "the API key is stored verbatim"
page GET "/admin/gateways?done=added"
like "$HTTP_BODY" 'Gateway server added' "the list says it was added"
like "$HTTP_BODY" "gw-$id&#39; OR &#39;1&#39;=&#39;1; DROP TABLE gateways;-- &lt;b&gt;&quot;x&quot;&lt;/b&gt; \\\\ %_" \
	"the name is shown escaped, every character kept"
unlike "$HTTP_BODY" '<b>"x"</b>' "no markup from the name reaches the page"
unlike "$HTTP_BODY" "key-$id" "the API key is not on the page"
like "$HTTP_BODY" '&bull;&bull;&bull;&bull;tail' "the API key is shown masked (last 4)"

page POST /admin/gateways "name=$name" kind=evolution "base_url=$SIM_URL" api_key=k capacity=1
is "$HTTP_STATUS" 409 "the same name again: 409"
like "$HTTP_BODY" 'id="e-name">a gateway server with this name exists<' "the error is beside the name"

# --- edit --------------------------------------------------------------------------
page GET "/admin/gateways/$gid"
is "$HTTP_STATUS" 200 "the edit page: 200"
unlike "$HTTP_BODY" "key-$id" "the edit page does not show the key either"
page POST "/admin/gateways/$gid" "name=$name" kind=evolution "base_url=$SIM_URL" api_key= \
	capacity=0 priority=3 active=1
is "$HTTP_STATUS" 400 "capacity 0 is refused"
like "$HTTP_BODY" 'id="e-capacity">out of range<' "beside the capacity field"
page POST "/admin/gateways/$gid" "name=$name" kind=evolution "base_url=$SIM_URL" api_key= \
	capacity=9 priority=4 active=1
is "$HTTP_STATUS $(location)" "303 /admin/gateways?done=updated" "edit: 303"
is "$(db "SELECT capacity, priority, api_key FROM gateways WHERE id = $gid" | tr '\t' ' ')" "9 4 $key" \
	"edit saved capacity and priority, and an empty key kept the stored one"
page POST /admin/gateways/999999999 name=x kind=evolution base_url=http://x capacity=1
is "$HTTP_STATUS" 404 "editing a gateway that does not exist: 404"

# --- test connection -------------------------------------------------------------
page POST "/admin/gateways/$gid/test"
is "$HTTP_STATUS $(location)" "303 /admin/gateways/$gid?done=tested" "test connection: 303 to the server's page"
page GET "/admin/gateways/$gid"
like "$HTTP_BODY" 'key was refused' "with a wrong key the answer says the key was refused"
page POST "/admin/gateways/$gid" "name=$name" kind=evolution "base_url=$SIM_URL" "api_key=$SIM_API_KEY" \
	capacity=9 priority=4 active=1
page POST "/admin/gateways/$gid/test"
page GET "/admin/gateways/$gid"
like "$HTTP_BODY" '<pre class="answer">OK: GET / answered HTTP 200 in [0-9]+ ms: &quot;Welcome to the Evolution API' \
	"with the right key: what the server answered is shown"
like "$HTTP_BODY" 'version 2\.3\.[0-9]+\); API key accepted' "its version and that the key works"
page POST "/admin/gateways/$gid" "name=$name" kind=evolution base_url=http://127.0.0.1:9 api_key= \
	capacity=9 priority=4 active=1
page POST "/admin/gateways/$gid/test"
page GET "/admin/gateways/$gid"
like "$HTTP_BODY" 'unreachable: GET /' "an unreachable server is reported as such"

# --- deactivate / activate ------------------------------------------------------------
page POST "/admin/gateways/$gid/active" active=0
is "$HTTP_STATUS $(location)" "303 /admin/gateways?done=deactivated" "deactivate: 303"
is "$(db "SELECT active FROM gateways WHERE id = $gid")" 0 "the server is inactive"
page POST "/admin/gateways/$gid/active" active=7
is "$HTTP_STATUS" 400 "active must be 0 or 1"
page POST "/admin/gateways/$gid/active" active=1
is "$(db "SELECT active FROM gateways WHERE id = $gid")" 1 "activate again"
page POST "/admin/gateways/$gid/active" active=0

done_testing
