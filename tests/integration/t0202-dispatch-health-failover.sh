#!/usr/bin/env bash
# t0202-dispatch-health-failover.sh: the health check (connectionState every
# health_interval, here 1 s) takes a disconnected instance out of rotation
# and puts it back when it reconnects; nothing is lost meanwhile, and a
# recipient whose instance went away fails over with the switch recorded.
# The simulator's instances post no webhooks here: only the health check can
# notice the change (connection.update callbacks are t0207's).
. "$(dirname "$0")/../lib.sh"

dw_world 3 round_robin nohooks
dw_start || bail_out "wapoold does not start"
id2=${DW_ID[2]}
name2=${DW_NAME[2]}

# --- all three connected: one message each ----------------------------------

dw_insert 3
wait_until 15 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 3 ]"
is "$(db "SELECT COUNT(DISTINCT sent_instance_id) FROM messages WHERE $DW_WHERE AND $DW_SENT")" 3 \
	"all connected: 3 messages leave through 3 instances"
r2=$(db "SELECT recipient FROM messages WHERE $DW_WHERE AND sent_instance_id = $id2")
[ -n "$r2" ] || r2=none

# --- instance 2 disconnects in the simulator ----------------------------------

dw_knobs 2 '{"disconnect":true}'
t0=$SECONDS
wait_until 10 "[ \"\$(db \"SELECT state FROM instances WHERE id = $id2\")\" = disconnected ]"
is "$(db "SELECT state FROM instances WHERE id = $id2")" disconnected \
	"the health check marks $name2 disconnected (after $((SECONDS - t0)) s)"
like "$(dw_log 1)" "instance $name2: connected -> disconnected" "the state change is logged"
sends2_before=$(dw_sends 2 | wc -l)

dw_insert 12
b_down=$DW_BATCH
dw_insert 1 "recipient='$r2'"
b_sticky=$DW_BATCH
wait_until 20 "[ \"\$(dw_count \"($(dw_batch $b_down) OR $(dw_batch $b_sticky)) AND $DW_SENT\")\" = 13 ]" ||
	diag "$(dw_q "SELECT state, wait_reason, last_error, COUNT(*) FROM messages WHERE tenant_id = {T} GROUP BY 1, 2, 3")"
is "$(dw_count "($(dw_batch $b_down) OR $(dw_batch $b_sticky)) AND $DW_SENT")" 13 \
	"with $name2 down, all 13 new messages are sent (nothing lost)"
is "$(dw_count "($(dw_batch $b_down) OR $(dw_batch $b_sticky)) AND sent_instance_id = $id2")" 0 \
	"the database has none of them on $name2"
is "$(dw_sends 2 | wc -l)" "$sends2_before" "the simulator accepted nothing more from $name2"
eval "$(dw_tally "$(dw_batch $b_down)")"
is "$T_once/$T_mismatch" "12/0" "each was accepted once, by the instance the database names"
is "$(dw_count "($(dw_batch $b_down) OR $(dw_batch $b_sticky)) AND attempts <> 1")" 0 \
	"no attempt was spent on the disconnected instance"
read -r s_inst s_from < <(db "SELECT sent_instance_id, COALESCE(failover_from_instance_id, 0)
	FROM messages WHERE $(dw_batch $b_sticky)")
if [ "$r2" != none ]; then
	is "$s_from" "$id2" "the recipient $r2 of $name2 failed over, recorded in failover_from_instance_id"
	isnt "$s_inst" "$id2" "... to another instance ($s_inst)"
else
	not_ok "a recipient of $name2 to fail over" "no message went through $name2 in the first round"
fi

# --- instance 2 comes back --------------------------------------------------

dw_knobs 2 '{"disconnect":false}'
t0=$SECONDS
wait_until 10 "[ \"\$(db \"SELECT state FROM instances WHERE id = $id2\")\" = connected ]"
is "$(db "SELECT state FROM instances WHERE id = $id2")" connected \
	"the health check sees $name2 connected again (after $((SECONDS - t0)) s)"
dw_insert 12
wait_until 20 "[ \"\$(dw_count \"$DW_WHERE AND $DW_SENT\")\" = 12 ]"
is "$(dw_count "$DW_WHERE AND $DW_SENT")" 12 "12 more messages are sent"
is "$(dw_count "$DW_WHERE AND sent_instance_id = $id2")" 4 "$name2 is back in rotation: 4 of the 12"
# (The recipient that failed over was written to twice, on purpose.)
eval "$(dw_tally "($(dw_batch 1) OR $(dw_batch $b_down) OR $DW_WHERE) AND recipient <> '$r2'")"
is "$T_rows/$T_once/$T_missing/$T_dups/$T_mismatch" "26/26/0/0/0" \
	"the whole run: every other message accepted exactly once, as recorded"

done_testing
