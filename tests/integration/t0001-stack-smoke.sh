#!/usr/bin/env bash
# t0001-stack-smoke.sh: the stack is up, and wapool answers behind more
# than one web server: /healthz and a webhook through lighttpd (the stack's
# own) and through Apache with mod_proxy_fcgi + spawn-fcgi (started here).
. "$(dirname "$0")/../lib.sh"

# --- lighttpd ------------------------------------------------------------

http GET /healthz
is "$HTTP_STATUS" 200 "lighttpd: GET /healthz answers 200"
like "$(http_header Content-Type)" '^application/json' "lighttpd: /healthz is JSON"
is "$(json_get db)" ok "lighttpd: /healthz reports the database ok"

static=$(cd "$SRCDIR/htdocs" 2> /dev/null && find . -type f -name '*.css' | head -n 1)
if [ -n "$static" ]; then
	static=${static#./}
	http GET "/static/$static"
	is "$HTTP_STATUS" 200 "lighttpd: /static/$static is served from htdocs/"
	check "lighttpd: /static/$static has the file's bytes" \
		cmp -s "$HTTP_BODY_FILE" "$SRCDIR/htdocs/$static"
else
	skip "lighttpd: a /static/ file" "no CSS file in htdocs/ yet"
fi

# --- Apache ----------------------------------------------------------------

at_exit stack_stop_apache
if ! stack_start_apache proxy > "$TEST_TMP/apache.out" 2>&1; then
	not_ok "Apache (mod_proxy_fcgi + spawn-fcgi) starts" "$(cat "$TEST_TMP/apache.out")"
	done_testing
fi
ok "Apache (mod_proxy_fcgi + spawn-fcgi) starts on port $APACHE_PORT"
HTTP_BASE=$APACHE_URL

http GET /healthz
is "$HTTP_STATUS" 200 "Apache: GET /healthz answers 200"
like "$(http_header Content-Type)" '^application/json' "Apache: /healthz is JSON"
is "$(json_get db)" ok "Apache: /healthz reports the database ok"

order=$(unique_id)
sample_order "$order" > "$TEST_TMP/order.json"
http POST /webhook/imperio/order_paid --data-file "$TEST_TMP/order.json" \
	-H "Authorization: Bearer $ROUTE_SECRET_ORDER_PAID"
is "$HTTP_STATUS" 202 "Apache: POST /webhook/imperio/order_paid with the route's secret answers 202"
message_id=$(json_get message_id)
like "$message_id" '^[0-9A-Za-z_-]+$' "Apache: the answer names the message (message_id $message_id)"
if [[ $message_id =~ ^[0-9]+$ ]]; then
	body=$(db "SELECT body FROM messages WHERE id = $message_id")
	is "$body" "Olá Maria! Recebemos o pagamento do seu pedido #$order no valor de R\$ 189.90. Obrigado por comprar na Império!" \
		"Apache: the message is stored with the rendered Portuguese text"
	is "$(db "SELECT recipient FROM messages WHERE id = $message_id")" "+5511987654321" \
		"Apache: the recipient is the billing phone in E.164"
fi

# The Authorization header really reaches wapool through Apache (it hides
# it from FastCGI unless CGIPassAuth is on): a wrong secret is refused.
http POST /webhook/imperio/order_paid --data-file "$TEST_TMP/order.json" \
	-H "Authorization: Bearer wrong-$ROUTE_SECRET_ORDER_PAID"
like "$HTTP_STATUS" '^40[13]$' "Apache: a wrong bearer secret is refused (401/403)"

stack_stop_apache
http GET /healthz
is "$HTTP_STATUS" 000 "Apache is stopped again"

done_testing
