#!/usr/bin/env bash
# t0501-admin-auth.sh: admin sign-in, sessions, lock-out and CSRF.  Every
# admin page and API needs auth; a POST without the CSRF token is refused;
# only SHA-256 of the session token is stored; cookies are HttpOnly +
# SameSite=Strict, and Secure when the web server says TLS (HTTPS=on).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/admin.sh"

user=auth$(unique_id)
pass=pw-$(unique_id)-secret
admin_user "$user" "$pass"
is "$(db "SELECT LEFT(password_hash, 3) FROM users WHERE username = '$user'")" '$y$' \
	"wapoolctl user add stores a yescrypt hash"

# --- no session ------------------------------------------------------------
for p in /admin/ /admin/gateways /admin/gateways/1 /admin/instances /admin/instances/1/connect \
	/admin/instances/1/delete /admin/instances/orphans /admin/webhooks \
	'/admin/webhooks?tab=events' /admin/webhooks/events/1 /admin/queue; do
	http GET "$p"
	is "$HTTP_STATUS $(http_header Location | sed 's/?.*//')" "303 /admin/login" \
		"GET $p without a session: 303 to the login page"
done
for p in /admin/gateways /admin/gateways/1 /admin/gateways/1/test /admin/gateways/1/active \
	/admin/instances /admin/instances/1/delete /admin/instances/orphans /admin/queue/retry \
	/admin/logout; do
	http POST "$p" --ctype application/x-www-form-urlencoded --data 'name=x'
	is "$HTTP_STATUS $(http_header Location)" "303 /admin/login" \
		"POST $p without a session: 303 to the login page, nothing done"
done
for p in /api/evolution/usage /api/instances/connected /api/instances/1 /api/webhooks/stats; do
	http GET "$p"
	is "$HTTP_STATUS" 401 "GET $p without API key or session: 401"
done
http POST /api/messages --data '{"tenant":"imperio","to":"11987654321","text":"x"}'
is "$HTTP_STATUS" 401 "POST /api/messages without API key or session: 401"

# --- login -----------------------------------------------------------------
http GET /admin/login
like "$(http_header Set-Cookie)" 'wapool_login=[0-9a-f]{64}; Path=/; Max-Age=[0-9]+; HttpOnly; SameSite=Strict' \
	"the login form sets its double-submit cookie HttpOnly, SameSite=Strict"
like "$(http_header Content-Security-Policy)" "script-src 'self'" "pages carry a strict CSP"
is "$(http_header X-Frame-Options)" DENY "pages refuse framing"

http POST /admin/login --ctype application/x-www-form-urlencoded \
	--data-urlencode "csrf=$(printf '%064d' 0)" --data-urlencode "username=$user" \
	--data-urlencode "password=$pass"
is "$HTTP_STATUS" 403 "a login without the form's cookie is refused (403)"

admin_login "$user" "wrong-$pass"
is "$HTTP_STATUS" 401 "a wrong password: 401"
like "$HTTP_BODY" 'class="error" id="e-password">wrong user name or password<' \
	"the error is shown beside the password field"
like "$HTTP_BODY" "value=\"$user\"" "the form keeps the user name"
admin_login "nobody$(unique_id)" "$pass"
is "$HTTP_STATUS" 401 "an unknown user gets the same 401"
admin_login "$user' OR '1'='1' -- \"><b>x" "' OR '1'='1"
is "$HTTP_STATUS" 401 "SQL metacharacters in the user name and password sign nobody in"
like "$HTTP_BODY" "value=\"$user&#39; OR &#39;1&#39;=&#39;1&#39; -- &quot;&gt;&lt;b&gt;x\"" \
	"the form shows the user name back verbatim, escaped"

if admin_login "$user" "$pass"; then ok "the right password: 303 and a session"; else
	not_ok "the right password: 303 and a session" "status $HTTP_STATUS"; fi
token=$(awk '$6 == "wapool_session" { print $7 }' "$ADMIN_JAR")
like "$token" '^[0-9a-f]{64}$' "the session cookie holds a 64-hex token"
is "$(db "SELECT COUNT(*) FROM sessions WHERE token_hash = UNHEX(SHA2('$token', 256))")" 1 \
	"the sessions table holds SHA-256 of the token"
is "$(db "SELECT COUNT(*) FROM sessions WHERE HEX(token_hash) = UPPER('$token') OR csrf_token = '$token'")" 0 \
	"the token itself is stored nowhere"
page GET /admin/
is "$HTTP_STATUS" 200 "the dashboard answers 200 with the session"
like "$HTTP_BODY" "<span>$user</span>" "the page names the signed-in user"

# cookie flags of the session
http GET /admin/login -c "$TEST_TMP/c3" -b "$TEST_TMP/c3"
c3=$(printf '%s' "$HTTP_BODY" | grep -o 'name="csrf" value="[0-9a-f]*"' | sed 's/.*value="//; s/"$//')
http POST /admin/login -c "$TEST_TMP/c3" -b "$TEST_TMP/c3" --ctype application/x-www-form-urlencoded \
	--data-urlencode "csrf=$c3" --data-urlencode "username=$user" --data-urlencode "password=$pass"
like "$(printf '%s\n' "$HTTP_HEADERS" | grep -i '^Set-Cookie: wapool_session')" \
	'wapool_session=[0-9a-f]{64}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict' \
	"the session cookie is HttpOnly, SameSite=Strict, session_hours long"
unlike "$(printf '%s\n' "$HTTP_HEADERS" | grep -i '^Set-Cookie: wapool_session')" 'Secure' \
	"over plain HTTP (cookie_secure = no) it is not marked Secure"

# Over TLS the web server passes HTTPS=on: the cookies are Secure.  wapool.fcgi
# run as plain CGI (no FastCGI socket) takes the request from its environment.
cgi() {	# METHOD PATH [ENV=VALUE]... < body: the raw CGI answer
	local method=$1 path=$2
	shift 2
	env -i PATH=/usr/bin:/bin WAPOOL_CONF="$WAPOOL_CONF" REQUEST_METHOD="$method" \
		REQUEST_URI="$path" SCRIPT_NAME= PATH_INFO="$path" SERVER_PROTOCOL=HTTP/1.1 \
		REMOTE_ADDR=127.0.0.1 "$@" "$FCGI_BIN" 2>> "$TEST_TMP/cgi.err"
}
out=$(cgi GET /admin/login HTTPS=on < /dev/null)
like "$(printf '%s\n' "$out" | grep '^Set-Cookie: wapool_login=')" 'HttpOnly; SameSite=Strict; Secure' \
	"with HTTPS=on the login form's cookie is Secure"
lc=$(printf '%s\n' "$out" | sed -n 's/^Set-Cookie: wapool_login=\([0-9a-f]*\);.*/\1/p')
lcsrf=$(printf '%s\n' "$out" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
body="csrf=$lcsrf&username=$user&password=$pass"
out=$(printf '%s' "$body" | cgi POST /admin/login HTTPS=on HTTP_COOKIE="wapool_login=$lc" \
	CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#body})
like "$(printf '%s\n' "$out" | grep '^Set-Cookie: wapool_session=')" \
	'wapool_session=[0-9a-f]{64}; Path=/; Max-Age=[0-9]+; HttpOnly; SameSite=Strict; Secure' \
	"with HTTPS=on the session cookie is Secure"
out=$(cgi GET /admin/login REQUEST_SCHEME=https < /dev/null)
like "$(printf '%s\n' "$out" | grep '^Set-Cookie: wapool_login=')" '; Secure' \
	"REQUEST_SCHEME=https counts as TLS too"
out=$(cgi GET /admin/login HTTP_X_FORWARDED_PROTO=https < /dev/null)
unlike "$(printf '%s\n' "$out" | grep '^Set-Cookie: wapool_login=')" 'Secure' \
	"a client's X-Forwarded-Proto alone does not (set cookie_secure behind a TLS proxy)"

# --- CSRF ------------------------------------------------------------------
NOCSRF=1 page POST /admin/gateways name=csrf-test kind=evolution base_url=http://127.0.0.1:9 capacity=1
is "$HTTP_STATUS" 403 "a POST without the CSRF token is refused (403)"
like "$HTTP_BODY" 'security token' "the page says why"
saved=$CSRF
CSRF=$(printf '%064d' 7)
page POST /admin/gateways name=csrf-test kind=evolution base_url=http://127.0.0.1:9 capacity=1
is "$HTTP_STATUS" 403 "a POST with a wrong CSRF token is refused (403)"
CSRF=$saved
is "$(db "SELECT COUNT(*) FROM gateways WHERE name = 'csrf-test'")" 0 "nothing was stored"

# --- the JSON API with the session -------------------------------------------
page GET /api/evolution/usage
is "$HTTP_STATUS" 200 "GET /api/evolution/usage with the session cookie: 200"
http POST /api/messages -b "$ADMIN_JAR" --data '{"tenant":"imperio","to":"11987654321","text":"x"}'
is "$HTTP_STATUS" 401 "POST /api with the session but no X-CSRF-Token: 401"

# --- logout ----------------------------------------------------------------
page POST /admin/logout
is "$HTTP_STATUS $(location)" "303 /admin/login" "logout: 303 to the login page"
is "$(db "SELECT COUNT(*) FROM sessions WHERE token_hash = UNHEX(SHA2('$token', 256))")" 0 \
	"logout deletes the session row"
http GET /admin/ -H "Cookie: wapool_session=$token"
is "$HTTP_STATUS" 303 "the old token opens nothing any more"

# --- lock-out ----------------------------------------------------------------
max=$(wapoolctl config | awk -F' *= *' '$1 == "login_max_failures" { print $2 }')
[ -n "$max" ] || max=5
for i in $(seq 1 "$max"); do
	admin_login "$user" "bad-$i"
done
is "$HTTP_STATUS" 401 "failure $max is still a wrong password"
admin_login "$user" "$pass"
is "$HTTP_STATUS" 429 "after $max failures even the right password is refused (429)"
like "$HTTP_BODY" 'id="e-password">too many failed attempts: this account is locked for [0-9]+ more minute' \
	"the lock-out is explained beside the password field"
[ -n "$(http_header Retry-After)" ] && ok "the answer has Retry-After" || not_ok "the answer has Retry-After"
printf '%s\n' "$pass" | wapoolctl user password "$user" --password-stdin > /dev/null
check "wapoolctl user password lifts the lock-out" admin_login "$user" "$pass"

done_testing
