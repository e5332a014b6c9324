#!/usr/bin/env bash
# t0003-migrate-access-log.sh: `wapoolctl migrate` is idempotent and refuses
# a database newer than the schema it knows; wapool.fcgi writes one access
# log line per request (method, path, status, bytes, ms), escapes what the
# request sent, and never writes the gateway callback token.
. "$(dirname "$0")/../lib.sh"

# --- migrations ----------------------------------------------------------------
before=$(db "SELECT COUNT(*), MAX(version) FROM schema_migrations" | tr '\t' ' ')
out=$(wapoolctl migrate --schema-dir "$SRCDIR/schema" 2>&1)
is "$?" 0 "migrate on a current database succeeds"
like "$out" "schema at version ${before#* }" "and reports the version it is at"
is "$(db "SELECT COUNT(*), MAX(version) FROM schema_migrations" | tr '\t' ' ')" "$before" \
	"and applies nothing twice"

db "INSERT INTO schema_migrations (version, name) VALUES (999, '999-from-the-future.sql')"
at_exit "db \"DELETE FROM schema_migrations WHERE version = 999\""
out=$(wapoolctl migrate --schema-dir "$SRCDIR/schema" 2>&1)
isnt "$?" 0 "migrate refuses a database newer than this wapool"
like "$out" "schema version 999, newer than this wapool knows" "and says why ($out)"
db "DELETE FROM schema_migrations WHERE version = 999"

# --- the access log --------------------------------------------------------------
log=$(sed -n 's/^access_log *= *//p' "$WAPOOL_CONF")
[ -f "$log" ] || bail_out "no access log at '$log'"
n0=$(wc -l < "$log")
id=$(unique_id)
http GET "/api/no-such-$id"
sleep 0.3
line=$(tail -n +"$((n0 + 1))" "$log" | grep "no-such-$id")
like "$line" "^[0-9T:-]+Z GET /api/no-such-$id 404 [0-9]+ [0-9]+\\.[0-9]{3}\$" \
	"one line: time, method, path, status, bytes, milliseconds ($line)"
is "$(printf '%s\n' "$line" | wc -l)" 1 "exactly one line for the request"

http GET "/api/evil-$id%0aforged%20line"
sleep 0.3
check "a newline sent in the path cannot forge a log line" \
	bash -c "! grep -q '^forged line' '$log'"

http POST "/webhook/gateway/evolution/$GATEWAY_CALLBACK_TOKEN" --data '{}'
is "$HTTP_STATUS" 400 "a gateway callback with an empty envelope: 400"
http POST "/webhook/gateway/evolution/wrong-$id" --data '{}'
is "$HTTP_STATUS" 404 "a wrong callback token: 404"
sleep 0.3
check "the callback token is never in wapool's access log" \
	bash -c "! tail -n +$((n0 + 1)) '$log' | grep -qF '$GATEWAY_CALLBACK_TOKEN'"
like "$(tail -n 5 "$log")" "POST /webhook/gateway/evolution/\\*\\*\\* 400" "it is written as ***"
check "nor a wrong one (it may be a typo of the right one)" bash -c "! grep -qF 'wrong-$id' '$log'"

done_testing
