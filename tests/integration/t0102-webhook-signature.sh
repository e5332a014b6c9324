#!/usr/bin/env bash
# t0102-webhook-signature.sh: X-Wapool-Signature (HMAC-SHA256 of "<t>.<body>"
# with the route secret): a valid signature is accepted, a wrong one or one
# outside the 5-minute replay window is refused with 401.
. "$(dirname "$0")/../lib.sh"

secret=$ROUTE_SECRET_ORDER_PAID
sign() {	# sign TIMESTAMP BODY-FILE [SECRET]
	printf '%s.' "$1" | cat - "$2" | openssl dgst -sha256 -hmac "${3:-$secret}" -hex | sed 's/^.*= //'
}

sample_order "$(unique_id)" > "$TEST_TMP/order.json"
now=$(date +%s)
http POST /webhook/imperio/order_paid \
	-H "X-Wapool-Signature: t=$now,v1=$(sign "$now" "$TEST_TMP/order.json")" \
	--data-file "$TEST_TMP/order.json"
is "$HTTP_STATUS" 202 "a valid signature is accepted without a bearer secret"

sample_order "$(unique_id)" > "$TEST_TMP/order2.json"
http POST /webhook/imperio/order_paid \
	-H "X-Wapool-Signature: t=$now,v1=$(sign "$now" "$TEST_TMP/order2.json" wrong-secret-value)" \
	--data-file "$TEST_TMP/order2.json"
is "$HTTP_STATUS" 401 "a signature made with another secret is refused"

old=$((now - 400))
http POST /webhook/imperio/order_paid \
	-H "X-Wapool-Signature: t=$old,v1=$(sign "$old" "$TEST_TMP/order2.json")" \
	--data-file "$TEST_TMP/order2.json"
is "$HTTP_STATUS" 401 "a signature older than 5 minutes is refused"
like "$(json_get message)" 'replay|window|expired|old' "the answer says the timestamp is outside the window"

future=$((now + 400))
http POST /webhook/imperio/order_paid \
	-H "X-Wapool-Signature: t=$future,v1=$(sign "$future" "$TEST_TMP/order2.json")" \
	--data-file "$TEST_TMP/order2.json"
is "$HTTP_STATUS" 401 "a signature from 5 minutes in the future is refused"

# The body is signed byte for byte: one changed byte breaks it.
sed 's/Maria/Mario/' "$TEST_TMP/order.json" > "$TEST_TMP/tampered.json"
http POST /webhook/imperio/order_paid \
	-H "X-Wapool-Signature: t=$now,v1=$(sign "$now" "$TEST_TMP/order.json")" \
	--data-file "$TEST_TMP/tampered.json"
is "$HTTP_STATUS" 401 "a tampered body is refused"

http POST /webhook/imperio/order_paid -H "X-Wapool-Signature: v1=abc" --data-file "$TEST_TMP/order2.json"
is "$HTTP_STATUS" 401 "a malformed signature header is refused"

done_testing
