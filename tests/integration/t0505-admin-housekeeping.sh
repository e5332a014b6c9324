#!/usr/bin/env bash
# t0505-admin-housekeeping.sh: wapoold's chores.  A server at 90 % of its
# capacity is logged once (by a daemon: no page is viewed), shown on the
# dashboard and in /api/evolution/usage as "warning"; the orphan report runs
# shortly after start, by one daemon of several (a claim in the database),
# and not again within its interval.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/admin.sh"

run=$(unique_id)
gw=hk$run
stray=hkstray-$run

# Only this test's server takes part in the capacity figures meanwhile.
was_active=$(db "SELECT GROUP_CONCAT(id) FROM gateways WHERE active = 1")
if [ -n "$was_active" ] && [ "$was_active" != NULL ]; then
	at_exit "db 'UPDATE gateways SET active = 1 WHERE id IN ($was_active)'"
fi
db "UPDATE gateways SET active = 0"
at_exit "db \"UPDATE instances SET deleted_at = NOW(6), client_ref = NULL, name = CONCAT(LEFT(name, 70), '~', id) WHERE name LIKE '$gw-%' AND deleted_at IS NULL\";
	db \"UPDATE gateways SET active = 0 WHERE name = '$gw'\";
	db \"UPDATE alerts SET resolved_at = NOW(6) WHERE kind = 'gateway_capacity' AND resolved_at IS NULL AND gateway_id = (SELECT id FROM gateways WHERE name = '$gw')\";
	sim_delete /_sim/instances/$stray > /dev/null"

check "a server of capacity 10 on the simulator" \
	wapoolctl gateway add "$gw" --kind evolution --url "$SIM_URL" --api-key "$SIM_API_KEY" \
	--capacity 10 --priority 0
gid=$(db "SELECT id FROM gateways WHERE name = '$gw'")
for i in 1 2 3 4 5 6 7 8 9; do
	wapoolctl instance add "$gw-$i" --gateway "$gw" --tenant imperio --state disconnected > /dev/null ||
		not_ok "instance $gw-$i added"
done
is "$(db "SELECT COUNT(*) FROM instances WHERE gateway_id = $gid AND deleted_at IS NULL")" 9 \
	"nine instances on it with wapoolctl (no page viewed)"
sim_post /_sim/instances "{\"name\":\"$stray\"}" > /dev/null
is "$HTTP_STATUS" 201 "an instance wapool does not know, on the server"

# The daemons' logs from here on (they append across restarts).
declare -A mark
for n in 1 2 3; do
	mark[$n]=$(stat -c %s "$STATE/logs/wapoold-$n.log" 2> /dev/null || echo 0)
done
new_logs() {	# the lines every wapoold wrote since the mark
	local n
	for n in 1 2 3; do
		[ -f "$STATE/logs/wapoold-$n.log" ] || continue
		tail -c +"$((mark[$n] + 1))" "$STATE/logs/wapoold-$n.log" | sed "s/^/$n: /"
	done
}

# Two more daemons with no delay: both go for the orphan report at once.
db "UPDATE housekeeping SET last_run_at = NULL, last_owner = NULL, last_result = NULL WHERE job = 'orphan_report'"
at_exit 'stack_stop_daemon 2; stack_stop_daemon 3'
WAPOOL_HOUSEKEEPING_DELAY=0 stack_start_daemon 2 || not_ok "wapoold 2 starts"
WAPOOL_HOUSEKEEPING_DELAY=0 stack_start_daemon 3 || not_ok "wapoold 3 starts"

# --- 90 % --------------------------------------------------------------------------
if wait_until 20 'new_logs | grep -q "gateway server \"$gw\" is at 90% of its capacity (9 of 10"'; then
	ok "a daemon logs the server at 90 % of its capacity"
else
	not_ok "a daemon logs the server at 90 % of its capacity" "$(new_logs | tail -n 20)"
fi
is "$(db "SELECT COUNT(*) FROM alerts WHERE kind = 'gateway_capacity' AND gateway_id = $gid AND resolved_at IS NULL")" 1 \
	"one open alert for it"
sleep 1
is "$(new_logs | grep -c "gateway server \"$gw\" is at")" 1 \
	"logged once, though three daemons check"

u=hk$run
admin_user "$u" "pw-$u-secret"
admin_login "$u" "pw-$u-secret" || bail_out "cannot sign in"
page GET /admin/
like "$HTTP_BODY" "<tr data-server=\"$gid\" class=\"status-warning\"><td><a href=\"/admin/gateways/$gid\">$gw</a>" \
	"the dashboard marks the server's usage bar as a warning"
like "$HTTP_BODY" "<strong>gateway_capacity</strong> gateway server &quot;$gw&quot; is at 90% of its capacity" \
	"the dashboard shows the warning"
http GET /api/evolution/usage -H "Authorization: Bearer $API_KEY"
is "$(json_py "[(s['status'], s['usage_percentage'], s['available']) for s in d['servers'] if s['name'] == '$gw'][0]")" \
	'["warning", 90.0, 1]' "usage: status warning at 90 %, one slot left"
like "$(json_get warnings)" "$gw.* is at 90% of its capacity" "usage: the warning names the server"
page GET /admin/
is "$(new_logs | grep -c "gateway server \"$gw\" is at")" 1 "viewing the pages logs it no more"

# Below 90 % again: the alert is resolved; back over it: a new one, logged again.
db "UPDATE instances SET deleted_at = NOW(6), name = CONCAT(name, '~', id) WHERE name = '$gw-9'"
http GET /api/evolution/usage -H "Authorization: Bearer $API_KEY"
is "$(json_py "[s['status'] for s in d['servers'] if s['name'] == '$gw'][0]")" ok "at 80 % the status is ok"
is "$(db "SELECT COUNT(*) FROM alerts WHERE kind = 'gateway_capacity' AND gateway_id = $gid AND resolved_at IS NULL")" 0 \
	"and the alert is resolved"
wapoolctl instance add "$gw-10" --gateway "$gw" --tenant imperio --state disconnected > /dev/null
wapoolctl instance add "$gw-11" --gateway "$gw" --tenant imperio --state disconnected > /dev/null
http GET /api/evolution/usage -H "Authorization: Bearer $API_KEY"
is "$(json_py "[s['status'] for s in d['servers'] if s['name'] == '$gw'][0]")" full "at 100 % the status is full"
is "$(db "SELECT COUNT(*) FROM alerts WHERE kind = 'gateway_capacity' AND gateway_id = $gid AND resolved_at IS NULL")" 1 \
	"a new alert is open"

# --- the orphan report ---------------------------------------------------------------
if wait_until 20 'new_logs | grep -q "orphan report: "'; then
	ok "the orphan report runs shortly after start"
else
	not_ok "the orphan report runs shortly after start" "$(new_logs | tail -n 20)"
fi
like "$(new_logs | grep "orphan instance $stray on gateway")" \
	"^[23]: .*wapoold\\[warn\\] orphan instance $stray on gateway $gid: unknown to wapool: on the server" \
	"it logs the instance only the server has"
is "$(new_logs | grep -c "orphan report: ")" 1 "one daemon of the two reports"
owner=$(db "SELECT last_owner FROM housekeeping WHERE job = 'orphan_report'")
like "$owner" ':[0-9]+:' "the claim names the daemon ($owner)"
like "$(db "SELECT last_result FROM housekeeping WHERE job = 'orphan_report'")" '^[1-9][0-9]* orphan instance\(s\)$' \
	"and what it found"

stack_stop_daemon 2
WAPOOL_HOUSEKEEPING_DELAY=0 stack_start_daemon 2 || not_ok "wapoold 2 starts again"
sleep 2
is "$(new_logs | grep -c "orphan report: ")" 1 "a daemon started again within the day does not report again"
is "$(db "SELECT last_owner FROM housekeeping WHERE job = 'orphan_report'")" "$owner" "the claim is unchanged"

done_testing
