#!/usr/bin/env bash
# t0101-webhook-intake.sh: business webhooks through lighttpd: WooCommerce- and
# Shopify-shaped orders become the right text to the right E.164 number,
# a repeated key creates one message, and every bad request gets its 4xx,
# a JSON error naming the problem, a recorded rejection and no message.
. "$(dirname "$0")/../lib.sh"

secret=$ROUTE_SECRET_ORDER_PAID
auth="Authorization: Bearer $secret"
count_messages() { db "SELECT COUNT(*) FROM messages"; }

# --- a WooCommerce order --------------------------------------------------
id=$(unique_id)
sample_order "$id" > "$TEST_TMP/woo.json"
http POST /webhook/imperio/order_paid -H "$auth" --data-file "$TEST_TMP/woo.json"
is "$HTTP_STATUS" 202 "WooCommerce order accepted with 202"
message_id=$(json_get message_id)
is "$(json_get status)" pending "answer says the message is pending"
like "$(json_get event_id)" '^[0-9]+$' "answer carries the event id"
is "$(db "SELECT recipient FROM messages WHERE id = $message_id")" "+5511987654321" \
	"phone (11) 98765-4321 normalised to +5511987654321"
is "$(db "SELECT body FROM messages WHERE id = $message_id")" \
	"Olá Maria! Recebemos o pagamento do seu pedido #$id no valor de R\$ 189.90. Obrigado por comprar na Império!" \
	"template rendered with the order's fields (UTF-8 kept)"
is "$(db "SELECT status, http_status FROM webhook_events WHERE id = $(json_get event_id)")" \
	"accepted	202" "the event is recorded as accepted"

# --- the same order again: one message -------------------------------------
before=$(count_messages)
http POST /webhook/imperio/order_paid -H "$auth" --data-file "$TEST_TMP/woo.json"
is "$HTTP_STATUS" 200 "a repeated order id answers 200"
is "$(json_get message_id)" "$message_id" "with the first message's id"
is "$(json_get duplicate)" true "and says it is a duplicate"
is "$(count_messages)" "$before" "no second message was queued"

# --- Idempotency-Key header wins over the payload's key --------------------
key="retry-$(unique_id)"
http POST /webhook/imperio/order_paid -H "$auth" -H "Idempotency-Key: $key" \
	--data "$(sample_order "$(unique_id)")"
is "$HTTP_STATUS" 202 "Idempotency-Key header: first post accepted"
first=$(json_get message_id)
http POST /webhook/imperio/order_paid -H "$auth" -H "Idempotency-Key: $key" \
	--data "$(sample_order "$(unique_id)")"
is "$HTTP_STATUS:$(json_get message_id)" "200:$first" "same header key, other body: deduplicated"

# --- a burst at once: group-committed batches hand out the right ids --------
# intake_store derives the ids of a batch's rows from LAST_INSERT_ID() when
# every row is new, and reads them back when a duplicate is among them:
# 40 orders at once (batches of many rows), 8 of them posted twice at the
# same moment (duplicates inside a batch).  Every answer must name its own
# event and message, and each twin pair one 202 and one 200 with the same ids.
# One curl sends all 48 at once (--parallel), so batches hold many rows.
burst=$TEST_TMP/burst
mkdir -p "$burst"
: > "$burst/curl.conf"
for i in $(seq 1 48); do
	n=$(( i <= 40 ? i : i - 40 ))
	sample_order "$id$n" > "$burst/order-$i.json"
	[ "$i" = 1 ] || echo next >> "$burst/curl.conf"
	cat >> "$burst/curl.conf" <<CONF
url = "$BASE_URL/webhook/imperio/order_paid"
request = POST
header = "$auth"
header = "Content-Type: application/json"
header = "Idempotency-Key: burst-$id-$n"
data-binary = "@$burst/order-$i.json"
output = "$burst/answer-$i.json"
dump-header = "$burst/headers-$i"
max-time = 30
CONF
done
curl -sS --parallel --parallel-immediate --parallel-max 48 -K "$burst/curl.conf" 2> "$burst/curl.err"
wrong= accepted=0
status_of() { sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$burst/headers-$1" 2> /dev/null; }
for i in $(seq 1 48); do
	n=$(( i <= 40 ? i : i - 40 ))
	status=$(status_of "$i") answer=$(cat "$burst/answer-$i.json" 2> /dev/null)
	[ "$status" = 202 ] && accepted=$((accepted + 1))
	e=$(json_get event_id "$answer") m=$(json_get message_id "$answer")
	got=$(db "SELECT CONCAT(e.idem_key, ' ', m.event_id, ' ', LOCATE('#$id$n ', m.body) > 0)
		FROM messages m JOIN webhook_events e ON e.id = $e WHERE m.id = $m")
	[ "$got" = "burst-$id-$n $e 1" ] || wrong="$wrong $i($status e=$e m=$m: $got)"
	if [ "$i" -gt 40 ]; then
		twin=$(cat "$burst/answer-$n.json" 2> /dev/null) pair=$status.$(status_of "$n")
		if [ "$e:$m" != "$(json_get event_id "$twin"):$(json_get message_id "$twin")" ] ||
			{ [ "$pair" != 202.200 ] && [ "$pair" != 200.202 ]; }; then
			wrong="$wrong twin$n($pair $answer / $twin)"
		fi
	fi
done
is "$accepted" 40 "a burst of 48 posts, 8 of them twice: 40 accepted"
is "${wrong:-none}" none "every answer names its own event and message; twins share the first's ids"
is "$(db "SELECT COUNT(*) FROM webhook_events WHERE idem_key LIKE 'burst-$id-%'")" 40 \
	"one event per key"

# --- a Shopify order through its own route ---------------------------------
event="shopify_paid_$(unique_id)"
wapoolctl route add imperio "$event" --pool imperio-webhook \
	--template 'Oi {{customer.first_name}}, o pedido {{name}} de R$ {{total_price}} foi confirmado.' \
	--phone-path shipping_address.phone --key-path id --secret "shopify-secret-0123456789" >/dev/null
cat > "$TEST_TMP/shopify.json" <<JSON
{"id":5648291020874,"name":"#1042","email":"joao@example.com","created_at":"2026-11-23T10:41:07-03:00",
 "currency":"BRL","financial_status":"paid","total_price":"249.00","subtotal_price":"229.00",
 "customer":{"id":7001,"first_name":"João","last_name":"Souza","phone":null},
 "shipping_address":{"first_name":"João","address1":"Av. Atlântica 1702","city":"Rio de Janeiro",
  "province_code":"RJ","country_code":"BR","zip":"22021-001","phone":"+55 21 99876-5432"},
 "line_items":[{"id":1,"title":"Camisa Linho","quantity":1,"price":"229.00"}]}
JSON
http POST "/webhook/imperio/$event" -H "Authorization: Bearer shopify-secret-0123456789" \
	--data-file "$TEST_TMP/shopify.json"
is "$HTTP_STATUS" 202 "Shopify order accepted"
mid=$(json_get message_id)
is "$(db "SELECT recipient FROM messages WHERE id = $mid")" "+5521998765432" \
	"Shopify phone +55 21 99876-5432 normalised"
is "$(db "SELECT body FROM messages WHERE id = $mid")" \
	"Oi João, o pedido #1042 de R\$ 249.00 foi confirmado." "Shopify template rendered"

# --- every rejection: status, error code, message, recorded, nothing queued --
reject() {	# reject DESC STATUS CODE MESSAGE-ERE http-args...
	local desc=$1 status=$2 code=$3 ere=$4 before_messages before_rejected
	shift 4
	before_messages=$(count_messages)
	before_rejected=$(db "SELECT COUNT(*) FROM webhook_events WHERE status = 'rejected' AND http_status = $status")
	http POST "$@"
	is "$HTTP_STATUS" "$status" "$desc: HTTP $status"
	is "$(json_get error)" "$code" "$desc: error code $code"
	like "$(json_get message)" "$ere" "$desc: the message names the problem"
	is "$(count_messages)" "$before_messages" "$desc: no message queued"
	is "$(db "SELECT COUNT(*) FROM webhook_events WHERE status = 'rejected' AND http_status = $status")" \
		"$((before_rejected + 1))" "$desc: the rejection is recorded for the Events view"
}
good=$(sample_order "$(unique_id)")
reject "malformed JSON" 400 malformed_json 'malformed JSON: .* at byte [0-9]+' \
	/webhook/imperio/order_paid -H "$auth" --data '{"id": 12, "billing": {"phone": "11987654321"'
reject "trailing garbage" 400 malformed_json 'byte [0-9]+' \
	/webhook/imperio/order_paid -H "$auth" --data '{"id": 13} {"x": 1}'
reject "wrong content type" 415 unsupported_media_type 'application/json.*text/plain' \
	/webhook/imperio/order_paid -H "$auth" --ctype text/plain --data "$good"
# A type longer than the events table keeps (200): the record is cut, not
# refused (a refused row would take the committer's whole batch with it).
long_parameter="x=$(head -c 400 /dev/zero | tr '\0' 'a')"
reject "wrong content type, 400 characters of it" 415 unsupported_media_type 'application/json.*text/plain' \
	/webhook/imperio/order_paid -H "$auth" --ctype "text/plain; $long_parameter" --data "$good"
is "$(db "SELECT CHAR_LENGTH(content_type) FROM webhook_events WHERE status = 'rejected' ORDER BY id DESC LIMIT 1")" 200 \
	"... recorded with its type cut to the column"
http POST /webhook/imperio/order_paid -H "$auth" --ctype "application/json; charset=utf-8; $long_parameter" \
	--data "$(sample_order "$(unique_id)")"
is "$HTTP_STATUS" 202 "a JSON order with 400 characters of Content-Type parameters is accepted"
head -c 1100000 /dev/zero | tr '\0' 'a' > "$TEST_TMP/big.json"
reject "oversize body" 413 body_too_large 'larger than 1048576 bytes' \
	/webhook/imperio/order_paid -H "$auth" --data-file "$TEST_TMP/big.json"
reject "missing phone" 422 missing_phone 'billing.phone' \
	/webhook/imperio/order_paid -H "$auth" --data '{"id": 14, "billing": {"first_name": "Ana"}}'
reject "invalid phone" 422 invalid_phone 'billing.phone: "\(00\) 1234" is not a valid phone number' \
	/webhook/imperio/order_paid -H "$auth" --data '{"id": 15, "billing": {"phone": "(00) 1234"}}'
reject "unknown tenant" 404 unknown_tenant 'tenant "nobody" does not exist' \
	/webhook/nobody/order_paid -H "$auth" --data "$good"
reject "unknown event" 404 unknown_event 'no route for event "order_lost"' \
	/webhook/imperio/order_lost -H "$auth" --data "$good"
reject "wrong bearer secret" 401 unauthorized 'does not match' \
	/webhook/imperio/order_paid -H "Authorization: Bearer not-the-secret" --data "$good"
reject "no credentials" 401 unauthorized 'Authorization: Bearer' \
	/webhook/imperio/order_paid --data "$good"
deep=$(printf '%0.s[' $(seq 1 40))1$(printf '%0.s]' $(seq 1 40))
reject "nesting deeper than the cap" 400 malformed_json 'nesting too deep|depth' \
	/webhook/imperio/order_paid -H "$auth" --data "{\"id\": 16, \"x\": $deep}"

# --- secrets never reach the logs --------------------------------------------
unlike "$(cat "$STATE"/logs/*.log 2>/dev/null)" "$secret" "the route secret appears in no log"

done_testing
