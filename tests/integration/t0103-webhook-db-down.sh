#!/usr/bin/env bash
# t0103-webhook-db-down.sh: with MariaDB stopped a webhook gets 503 and
# Retry-After (never a 500, never a half-written event); once MariaDB is
# back the retried webhook is accepted exactly once.
. "$(dirname "$0")/../lib.sh"

auth="Authorization: Bearer $ROUTE_SECRET_ORDER_PAID"
id=$(unique_id)
sample_order "$id" > "$TEST_TMP/order.json"

at_exit 'stack_alive MARIADB || stack_start_mariadb >/dev/null 2>&1'
stack_stop_mariadb
http POST /webhook/imperio/order_paid -H "$auth" --data-file "$TEST_TMP/order.json" --timeout 20
is "$HTTP_STATUS" 503 "MariaDB down: 503"
like "$(http_header Retry-After)" '^[0-9]+$' "with a Retry-After header"
is "$(json_get error)" unavailable "and a JSON error"

http GET /healthz
is "$HTTP_STATUS" 503 "healthz reports the outage with 503"
is "$(json_get db)" down "healthz says db: down"

stack_start_mariadb
wait_until 20 'http GET /healthz; [ "$HTTP_STATUS" = 200 ]'
is "$HTTP_STATUS" 200 "healthz is back to 200 after MariaDB restarts"

http POST /webhook/imperio/order_paid -H "$auth" --data-file "$TEST_TMP/order.json"
is "$HTTP_STATUS" 202 "the retried webhook is accepted"
http POST /webhook/imperio/order_paid -H "$auth" --data-file "$TEST_TMP/order.json"
is "$HTTP_STATUS" 200 "and a second retry is a duplicate"
is "$(db "SELECT COUNT(*) FROM webhook_events WHERE idem_key = '$id'")" 1 "one event stored for the order"
is "$(db "SELECT COUNT(*) FROM messages m JOIN webhook_events e ON e.id = m.event_id WHERE e.idem_key = '$id'")" \
	1 "one message queued for the order"

done_testing
