#!/usr/bin/env bash
# t0301-callbacks.sh: Evolution's webhooks through lighttpd into
# POST /webhook/gateway/evolution/{token}: messages.update moves messages
# only forward (in order, duplicated, out of order, ERROR), with the right
# timestamps; unknown ids are acked and kept as receipts; acks stamp the
# instance; connection.update writes the session state; a wrong path
# token is a 404, a wrong apikey a 401, and neither writes anything.
. "$(dirname "$0")/../lib.sh"

tag=t0301-$(unique_id)
gw_key=gwkey-$(stack_random_hex 8)
token=inst-$(stack_random_hex 8)
other_token=other-$(stack_random_hex 8)
hook=/webhook/gateway/evolution/$GATEWAY_CALLBACK_TOKEN

# An inactive gateway: the daemon's health checks leave our instances alone.
{
	wapoolctl tenant add "$tag" &&
	wapoolctl gateway add "$tag-gw" --kind evolution --url http://127.0.0.1:9 \
		--api-key "$gw_key" --inactive &&
	wapoolctl instance add "$tag-a" --gateway "$tag-gw" --tenant "$tag" --client a \
		--token "$token" --state connected &&
	wapoolctl instance add "$tag-b" --gateway "$tag-gw" --tenant "$tag" --client b \
		--token "$other_token" --state connected
} > "$TEST_TMP/setup.out" 2>&1 || bail_out "set-up failed: $(tail -n 3 "$TEST_TMP/setup.out")"
tenant=$(db "SELECT id FROM tenants WHERE slug = '$tag'")
gw=$(db "SELECT id FROM gateways WHERE name = '$tag-gw'")
a=$(db "SELECT id FROM instances WHERE name = '$tag-a'")
b=$(db "SELECT id FROM instances WHERE name = '$tag-b'")
at_exit "db \"UPDATE instances SET deleted_at = NOW(6) WHERE gateway_id = $gw;
	DELETE FROM delivery_receipts WHERE instance_id IN ($a, $b)\""

# sent MESSAGE: a message instance a sent, with gateway id <tag>-<name>; prints its id.
sent() {
	db "INSERT INTO messages (tenant_id, state, recipient, body, sent_instance_id,
	    gateway_message_id, claimed_at, sent_at)
	    VALUES ($tenant, 'sent', '+5511900000001', '$tag $1', ${2:-$a}, '$tag-$1',
	    NOW(6), NOW(6)); SELECT LAST_INSERT_ID()"
}
# update KEYID STATUS [INSTANCE] [APIKEY-JSON]: one v2 messages.update.
update() {
	http POST "$hook" --data "{\"event\":\"messages.update\",\"instance\":\"${3:-$tag-a}\",
	  \"data\":{\"keyId\":\"$1\",\"remoteJid\":\"5511900000001@s.whatsapp.net\",\"fromMe\":true,
	  \"participant\":null,\"status\":\"$2\",\"instanceId\":\"evo-uuid\",\"messageId\":\"cm123\"},
	  \"destination\":\"$BASE_URL$hook\",\"date_time\":\"2026-11-23T10:42:00.000Z\",
	  \"sender\":\"5511988887777@s.whatsapp.net\",\"server_url\":\"http://evo\",
	  \"apikey\":${4:-\"$token\"}}"
}
row() { db "SELECT $2 FROM messages WHERE id = $1"; }

# --- in order -----------------------------------------------------------------
m=$(sent inorder)
update "$tag-inorder" SERVER_ACK
is "$HTTP_STATUS" 200 "SERVER_ACK answered 200"
is "$(row "$m" state)" sent "SERVER_ACK on a sent message leaves it sent"
update "$tag-inorder" DELIVERY_ACK
is "$(json_get applied)" 1 "DELIVERY_ACK applied"
is "$(row "$m" "state, delivered_at IS NOT NULL, read_at IS NULL")" "delivered	1	1" \
	"DELIVERY_ACK: delivered, delivered_at set, read_at not"
update "$tag-inorder" READ
is "$(row "$m" "state, read_at >= delivered_at")" "read	1" "READ: read, read_at after delivered_at"
# The row keeps its size: each receipt's timestamp takes its 8 bytes from
# row_reserve (schema/010-row-reserve.sql), which started at 80.
is "$(row "$m" "LENGTH(row_reserve)")" 64 "DELIVERY_ACK and READ took 8 bytes each from the row's reserve"

# --- duplicates ---------------------------------------------------------------
m=$(sent dup)
update "$tag-dup" DELIVERY_ACK
first=$(row "$m" delivered_at)
update "$tag-dup" DELIVERY_ACK
is "$HTTP_STATUS:$(json_get unchanged)" "200:1" "a repeated DELIVERY_ACK is acked and changes nothing"
is "$(row "$m" "state, delivered_at")" "delivered	$first" "delivered_at keeps the first time"
update "$tag-dup" READ
update "$tag-dup" READ
read1=$(row "$m" read_at)
update "$tag-dup" READ
is "$(row "$m" "state, read_at")" "read	$read1" "a third READ keeps state and read_at"

# --- out of order -------------------------------------------------------------
m=$(sent ooo)
update "$tag-ooo" READ
is "$(row "$m" "state, delivered_at IS NOT NULL, delivered_at = read_at")" "read	1	1" \
	"READ before DELIVERY_ACK: read, and delivered_at stamped with it"
stamps=$(row "$m" "delivered_at, read_at")
update "$tag-ooo" DELIVERY_ACK
is "$(json_get unchanged)" 1 "the late DELIVERY_ACK is acked as unchanged"
update "$tag-ooo" SERVER_ACK
is "$(row "$m" state)" read "SERVER_ACK after READ does not move it back"
is "$(row "$m" "delivered_at, read_at")" "$stamps" "nor touch its timestamps"
update "$tag-ooo" ERROR
is "$(row "$m" "state, finished_at IS NULL")" "read	1" "ERROR after READ: still read"

m=$(sent played)
update "$tag-played" PLAYED
is "$(row "$m" state)" read "PLAYED (a voice note heard) counts as read"

# --- ERROR only from sent -----------------------------------------------------
m=$(sent err)
update "$tag-err" ERROR
is "$(row "$m" "state, finished_at IS NOT NULL")" "failed	1" "ERROR on a sent message: failed, finished"
like "$(row "$m" last_error)" ERROR "last_error says the gateway reported ERROR"
update "$tag-err" DELIVERY_ACK
is "$(row "$m" "state, delivered_at IS NULL")" "failed	1" "a later DELIVERY_ACK does not revive it"
m=$(sent err2)
update "$tag-err2" DELIVERY_ACK
update "$tag-err2" ERROR
is "$(row "$m" "state, finished_at IS NULL")" "delivered	1" "ERROR after DELIVERY_ACK: still delivered"

# --- the instance named by the envelope is part of the key --------------------
m=$(sent mine)
update "$tag-mine" READ "$tag-b" "\"$other_token\""
is "$HTTP_STATUS:$(json_get unknown)" "200:1" "the same id reported by another instance is unknown there"
is "$(row "$m" state)" sent "and does not touch instance a's message"

# --- unknown ids: acked, kept for the daemon ----------------------------------
update "$tag-nosuch" DELIVERY_ACK
is "$HTTP_STATUS" 200 "an unknown message id is acked with 200 (Evolution must not retry)"
is "$(json_get unknown)" 1 "and counted as unknown"
is "$(db "SELECT status FROM delivery_receipts WHERE instance_id = $a AND gateway_message_id = '$tag-nosuch'")" \
	delivered "a receipt waits for the daemon's write of the send"
update "$tag-nosuch" READ
update "$tag-nosuch" DELIVERY_ACK
update "$tag-nosuch" ERROR
is "$(db "SELECT status FROM delivery_receipts WHERE instance_id = $a AND gateway_message_id = '$tag-nosuch'")" \
	read "the receipt only rises (read stays read after DELIVERY_ACK and ERROR)"
update "$tag-nosuch-ack" SERVER_ACK
is "$(db "SELECT COUNT(*) FROM delivery_receipts WHERE gateway_message_id = '$tag-nosuch-ack'")" 0 \
	"a bare SERVER_ACK of an unknown id leaves no receipt"

# --- v1 shape, arrays, numeric codes, fromMe false ----------------------------
m=$(sent v1)
http POST "$hook/messages-update" --data "{\"event\":\"messages.update\",\"instance\":\"$tag-a\",
  \"data\":{\"remoteJid\":\"5511900000001@s.whatsapp.net\",\"fromMe\":true,\"id\":\"$tag-v1\",
  \"status\":\"DELIVERY_ACK\",\"datetime\":1763894520000,\"owner\":\"$tag-a\"},\"apikey\":\"$gw_key\"}"
is "$HTTP_STATUS:$(row "$m" state)" "200:delivered" \
	"v1 shape {id, status} on the by-events URL, gateway key as apikey: delivered"
m1=$(sent arr1)
m2=$(sent arr2)
http POST "$hook" --data "{\"event\":\"messages.update\",\"instance\":\"$tag-a\",\"apikey\":null,
  \"data\":[{\"keyId\":\"$tag-arr1\",\"fromMe\":true,\"status\":4},
            {\"keyId\":\"$tag-arr2\",\"fromMe\":false,\"status\":\"READ\"}]}"
is "$HTTP_STATUS:$(json_get applied):$(json_get skipped)" "200:1:1" \
	"an array of updates: status code 4 applied, a fromMe false update skipped"
is "$(row "$m1" state):$(row "$m2" state)" "read:sent" "code 4 is READ; the received-message update changed nothing"

# --- acks keep the instance's health ------------------------------------------
db "UPDATE instances SET health = 'degraded', last_ack_at = NULL WHERE id = $a"
m=$(sent health)
update "$tag-health" SERVER_ACK
is "$(db "SELECT health, last_ack_at IS NOT NULL FROM instances WHERE id = $a")" "ok	1" \
	"SERVER_ACK stamps last_ack_at and lifts health from degraded to ok"
db "UPDATE instances SET last_ack_at = NOW(6) - INTERVAL 1 HOUR WHERE id = $a"
update "$tag-health" DELIVERY_ACK
is "$(db "SELECT last_ack_at > NOW(6) - INTERVAL 1 MINUTE FROM instances WHERE id = $a")" 1 \
	"DELIVERY_ACK stamps last_ack_at too"

# --- authentication -----------------------------------------------------------
m=$(sent auth)
http POST "/webhook/gateway/evolution/wrong-$GATEWAY_CALLBACK_TOKEN" \
	--data "{\"event\":\"messages.update\",\"instance\":\"$tag-a\",\"data\":{\"keyId\":\"$tag-auth\",\"status\":\"READ\"}}"
is "$HTTP_STATUS" 404 "a wrong path token answers 404, like a path that does not exist"
is "$(json_get error)" not_found "with the router's own not_found"
update "$tag-auth" READ "$tag-a" '"not-the-key"'
is "$HTTP_STATUS" 401 "an apikey that is neither the instance's token nor the gateway's key: 401"
update "$tag-auth" READ "$tag-a" "\"$other_token\""
is "$HTTP_STATUS" 401 "another instance's token is refused too"
is "$(row "$m" state)" sent "nothing was written for either"
update "$tag-auth" DELIVERY_ACK "$tag-a" "\"$gw_key\""
is "$HTTP_STATUS:$(row "$m" state)" "200:delivered" "the gateway's global key is accepted (v1 global webhooks)"
update "$tag-auth" READ "$tag-a" null
is "$HTTP_STATUS:$(row "$m" state)" "200:read" "apikey null is accepted (the path token vouches)"

# --- bad and other requests ---------------------------------------------------
http POST "$hook" --data '{"event":"messages.update",'
is "$HTTP_STATUS" 400 "malformed JSON: 400 (Evolution does not retry it)"
like "$(json_get message)" "malformed JSON" "the answer says why"
http POST "$hook" --data '{"instance":"x","data":{}}'
is "$HTTP_STATUS:$(json_get error)" "400:missing_event" "no event: 400"
http POST "$hook" --data "{\"event\":\"messages.upsert\",\"instance\":\"$tag-a\",\"data\":{\"key\":{\"id\":\"x\"}}}"
is "$HTTP_STATUS:$(json_get ignored)" "200:event not used" "other events are acked and ignored"
http POST "$hook" --data "{\"event\":\"messages.update\",\"instance\":\"$tag-nobody\",\"data\":{\"keyId\":\"x\",\"status\":\"READ\"}}"
is "$HTTP_STATUS:$(json_get ignored)" "200:unknown instance" "an instance wapool does not know: acked, ignored"
head -c 1100000 /dev/zero | tr '\0' ' ' > "$TEST_TMP/big.json"
http POST "$hook" --data-file "$TEST_TMP/big.json"
is "$HTTP_STATUS" 413 "a body over 1 MiB: 413"

# --- connection.update --------------------------------------------------------
# conn STATE REASON
conn() {
	http POST "$hook" --data "{\"event\":\"connection.update\",\"instance\":\"$tag-a\",
	  \"data\":{\"instance\":\"$tag-a\",\"state\":\"$1\",\"statusReason\":$2},\"apikey\":\"$token\"}"
}
inst() { db "SELECT $1 FROM instances WHERE id = $a"; }
db "UPDATE instances SET state = 'connected', disconnected_since = NULL WHERE id = $a"
conn close 428
is "$HTTP_STATUS:$(json_get changed)" "200:true" "close: acked, changed"
is "$(inst "state, disconnected_since IS NOT NULL, last_state_change_at > NOW(6) - INTERVAL 1 MINUTE")" \
	"disconnected	1	1" "close -> disconnected, disconnected_since and last_state_change_at stamped"
change=$(inst last_state_change_at)
conn close 428
is "$(json_get changed):$(inst last_state_change_at)" "false:$change" "the same state again writes nothing"
conn connecting 200
is "$(inst state)" connecting "connecting -> connecting"
conn open 200
is "$(inst "state, connected_since >= disconnected_since")" "connected	1" "open -> connected, connected_since stamped"
conn close 401
is "$(inst state)" disconnected "statusReason 401 -> disconnected"
is "$(db "SELECT COUNT(*) FROM alerts WHERE instance_id = $a AND kind = 'instance_logged_out'")" 1 \
	"and an alert says it was logged out"
if wait_until 3 "grep -rqsF -- '$tag-a: connected -> disconnected (statusReason 401: logged out from the phone)' '$STATE/logs'"; then
	ok "the log says \"logged out from the phone\""
else
	not_ok "the log says \"logged out from the phone\""
fi
conn close 403
is "$(inst state)" banned "statusReason 403 -> banned"
is "$(db "SELECT COUNT(*) FROM alerts WHERE instance_id = $a AND kind = 'instance_banned'")" 1 \
	"with an alert"
conn refused 500
is "$(inst state)" refused "refused -> refused"
conn sleeping 0
is "$HTTP_STATUS:$(json_get ignored):$(inst state)" "200:unknown state:refused" \
	"an unknown state is acked and ignored"
http POST "$hook" --data "{\"event\":\"connection.update\",\"instance\":\"$tag-a\",
  \"data\":{\"instance\":\"$tag-a\",\"state\":\"open\",\"statusReason\":200},\"apikey\":\"nope\"}"
is "$HTTP_STATUS:$(inst state)" "401:refused" "connection.update with a wrong apikey: 401, no change"

done_testing
