#!/usr/bin/env bash
# t0507-admin-apache.sh: the JSON API and the admin pages behind Apache,
# with mod_proxy_fcgi (conf/apache-proxy-fcgi.conf) and with mod_fcgid
# (conf/apache-fcgid.conf).  Apache hides the Authorization header from
# FastCGI applications unless CGIPassAuth is on: the API's bearer key must
# get through, a wrong one must still be refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/admin.sh"

run=$(unique_id)
u=ap$run
admin_user "$u" "pw-$u-secret"
at_exit stack_stop_apache

for mode in proxy fcgid; do
	stack_stop_apache
	if ! stack_start_apache "$mode" > "$TEST_TMP/apache-$mode.out" 2>&1; then
		not_ok "Apache ($mode) starts" "$(cat "$TEST_TMP/apache-$mode.out")"
		continue
	fi
	ok "Apache ($mode) starts on port $APACHE_PORT"
	HTTP_BASE=$APACHE_URL

	http GET /api/evolution/usage -H "Authorization: Bearer $API_KEY"
	is "$HTTP_STATUS" 200 "$mode: GET /api/evolution/usage with the bearer key: 200"
	like "$(json_py "sorted(k for k in d if k.startswith('total_'))")" \
		"total_capacity.*total_connected.*total_instances" "$mode: the usage answer has its totals"
	http GET /api/evolution/usage
	is "$HTTP_STATUS" 401 "$mode: without the key: 401"
	http GET /api/evolution/usage -H "Authorization: Bearer wrong-$API_KEY"
	is "$HTTP_STATUS" 401 "$mode: with a wrong key: 401"
	http GET /api/instances/connected -H "Authorization: Bearer $API_KEY"
	is "$HTTP_STATUS" 200 "$mode: GET /api/instances/connected with the key: 200"

	http GET /admin/
	is "$HTTP_STATUS $(http_header Location | sed 's/?.*//')" "303 /admin/login" \
		"$mode: the dashboard without a session sends to the login page"
	if admin_login "$u" "pw-$u-secret"; then ok "$mode: signing in through the form works"; else
		not_ok "$mode: signing in through the form works" "status $HTTP_STATUS"; fi
	page GET /admin/
	is "$HTTP_STATUS" 200 "$mode: the dashboard with the session: 200"
	like "$HTTP_BODY" "<span>$u</span>" "$mode: it names the user"
	NOCSRF=1 page POST /admin/gateways name=csrf-$run kind=evolution base_url=http://127.0.0.1:9 capacity=1
	is "$HTTP_STATUS" 403 "$mode: a POST without the CSRF token is refused"
	http GET /static/app.js
	is "$HTTP_STATUS" 200 "$mode: Apache serves /static/app.js itself"
	HTTP_BASE=
done
stack_stop_apache

done_testing
