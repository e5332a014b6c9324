#!/usr/bin/env bash
# t0205-dispatch-all-down-expiry.sh: when no instance can send, messages wait
# without spending attempts, and flow when one returns; a message past its
# expires_at ends expired and is never sent.
#   1. every instance disconnected and the health check knows it: messages
#      are deferred (wait_reason set, attempts 0); the one with a 2 s shelf
#      life ends expired; one instance reconnects, the rest are sent.
#   2. every instance down while the database still says connected (health
#      checks far apart): the gateway answers 500 "Connection Closed" to each
#      send, which is the instance's outage, not the message's: attempts stay
#      0 until the instances return, then everything is sent.
# The simulator posts no webhooks here: connection.update is t0207's.
. "$(dirname "$0")/../lib.sh"

dw_world 2 round_robin nohooks
dw_start || bail_out "wapoold does not start"
ids="${DW_ID[1]}, ${DW_ID[2]}"

# --- 1. all down, known --------------------------------------------------------

dw_knobs 1 '{"disconnect":true}' && dw_knobs 2 '{"disconnect":true}'
wait_until 10 "[ \"\$(db \"SELECT COUNT(*) FROM instances WHERE id IN ($ids) AND state = 'disconnected'\")\" = 2 ]"
is "$(db "SELECT COUNT(*) FROM instances WHERE id IN ($ids) AND state = 'disconnected'")" 2 \
	"the health check marks both instances disconnected"

dw_insert 5
b_wait=$DW_BATCH
dw_insert 1 "expires_at=NOW(6) + INTERVAL 2 SECOND"
b_exp=$DW_BATCH
both="($(dw_batch $b_wait) OR $(dw_batch $b_exp))"
wait_until 10 "[ \"\$(dw_count \"$both AND wait_reason IS NOT NULL\")\" = 6 ]"
is "$(dw_count "$both AND state = 'pending' AND wait_reason IS NOT NULL")" 6 \
	"all 6 messages wait, pending, with a wait_reason"
diag "wait_reason: $(db "SELECT DISTINCT wait_reason FROM messages WHERE $both")"
is "$(dw_count "$both AND attempts <> 0")" 0 "no attempt is spent while no instance can send"

wait_until 10 "[ \"\$(dw_count \"$(dw_batch $b_exp) AND state = 'expired'\")\" = 1 ]"
is "$(db "SELECT state FROM messages WHERE $(dw_batch $b_exp)")" expired \
	"the message with a 2 s shelf life ends expired"
is "$(db "SELECT attempts, finished_at IS NOT NULL, sent_at IS NULL FROM messages WHERE $(dw_batch $b_exp)" | tr '\t' ' ')" \
	"0 1 1" "... unsent, no attempt spent, finished_at set"
is "$(dw_count "$(dw_batch $b_wait) AND state = 'pending' AND attempts = 0")" 5 \
	"the other 5 still wait with their attempts untouched"

dw_knobs 1 '{"disconnect":false}'
wait_until 20 "[ \"\$(dw_count \"$(dw_batch $b_wait) AND $DW_SENT\")\" = 5 ]" ||
	diag "$(dw_q "SELECT state, wait_reason, last_error, COUNT(*) FROM messages WHERE $both GROUP BY 1, 2, 3")"
is "$(dw_count "$(dw_batch $b_wait) AND $DW_SENT AND sent_instance_id = ${DW_ID[1]}")" 5 \
	"${DW_NAME[1]} returns: the 5 waiting messages are sent through it"
is "$(dw_count "$(dw_batch $b_wait) AND attempts <> 1")" 0 "each spent exactly one attempt, the one that worked"
eval "$(dw_tally "$both")"
is "$T_rows/$T_once/$T_missing/$T_mismatch/$T_ghost" "6/5/1/0/0" \
	"the simulator accepted the 5 once each and never the expired one"
is "$(db "SELECT state FROM messages WHERE $(dw_batch $b_exp)")" expired "the expired message stays expired"

# --- 2. all down, unknown to the database ------------------------------------

dw_stop 1
dw_env health_interval=3600
dw_start || bail_out "wapoold does not start again"
dw_knobs 1 '{"disconnect":true}'
db "UPDATE instances SET state = 'connected', breaker_state = 'closed', breaker_until = NULL
	WHERE id IN ($ids)"
dw_insert 4
wait_until 15 "[ \"\$(dw_count \"$DW_WHERE AND wait_reason LIKE '%Connection Closed%'\")\" = 4 ]" ||
	diag "$(dw_q "SELECT state, attempts, wait_reason, last_error, COUNT(*) FROM messages WHERE $DW_WHERE GROUP BY 1, 2, 3, 4")"
is "$(dw_count "$DW_WHERE AND wait_reason LIKE '%Connection Closed%'")" 4 \
	"each of 4 messages met the gateway's 500 \"Connection Closed\" and waits"
is "$(dw_count "$DW_WHERE AND attempts <> 0")" 0 "... without spending an attempt"
is "$(dw_count "$DW_WHERE AND state IN ('failed', 'dead')")" 0 "... and none failed or died"

dw_knobs 1 '{"disconnect":false}' && dw_knobs 2 '{"disconnect":false}'
wait_until 20 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 4 ]" ||
	diag "$(dw_q "SELECT state, attempts, wait_reason, last_error, COUNT(*) FROM messages WHERE $DW_WHERE GROUP BY 1, 2, 3, 4")"
is "$(dw_count "$DW_WHERE AND $DW_SENT AND attempts = 1")" 4 \
	"the instances return: all 4 are sent, each with one attempt"
eval "$(dw_tally "$DW_WHERE")"
is "$T_once/$T_mismatch" "4/0" "the simulator accepted each once, from the instance the database names"

done_testing
