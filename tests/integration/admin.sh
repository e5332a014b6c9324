# tests/integration/admin.sh: helpers of the admin tests (t05*), sourced after ../lib.sh.
#
#   admin_user NAME PASSWORD     create an admin user with wapoolctl (once per name)
#   admin_login NAME PASSWORD    sign in through the login form; keeps the session in
#                                the cookie jar $ADMIN_JAR and its CSRF token in $CSRF
#   page GET|POST PATH [FIELD=VALUE]...   an admin request with the session cookie;
#                                POST fields are urlencoded, the CSRF token added
#                                unless NOCSRF=1; sets HTTP_STATUS, HTTP_BODY...
#   csrf_of_page PATH            refresh $CSRF from a page's form
#   location                     the Location header of the last answer

ADMIN_JAR=$TEST_TMP/cookies
CSRF=

admin_user() {
	printf '%s\n' "$2" | wapoolctl user add "$1" --password-stdin > /dev/null 2>&1 || true
}

csrf_of_page() {
	page GET "$1"
	CSRF=$(printf '%s' "$HTTP_BODY" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -n 1 |
		sed 's/.*value="//; s/"$//')
}

admin_login() {
	rm -f "$ADMIN_JAR"
	http GET /admin/login -c "$ADMIN_JAR" -b "$ADMIN_JAR"
	CSRF=$(printf '%s' "$HTTP_BODY" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -n 1 |
		sed 's/.*value="//; s/"$//')
	http POST /admin/login -c "$ADMIN_JAR" -b "$ADMIN_JAR" \
		--ctype application/x-www-form-urlencoded \
		--data-urlencode "csrf=$CSRF" --data-urlencode "username=$1" \
		--data-urlencode "password=$2"
	[ "$HTTP_STATUS" = 303 ] || return 1
	csrf_of_page /admin/
}

page() {
	local method=$1 path=$2 f
	local -a fields=()
	shift 2
	if [ "$method" = POST ]; then
		[ "${NOCSRF:-}" = 1 ] || fields+=(--data-urlencode "csrf=$CSRF")
		for f in "$@"; do
			fields+=(--data-urlencode "$f")
		done
		[ $# -gt 0 ] || [ "${NOCSRF:-}" != 1 ] || fields+=(--data-raw "")
		http POST "$path" -c "$ADMIN_JAR" -b "$ADMIN_JAR" \
			--ctype application/x-www-form-urlencoded "${fields[@]}"
	else
		http "$method" "$path" -c "$ADMIN_JAR" -b "$ADMIN_JAR"
	fi
}

location() {
	http_header Location
}
