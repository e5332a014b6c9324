#!/usr/bin/env bash
# t0506-admin-first-user.sh: the first admin of ./start.sh dev (tests/stack.sh
# stack_seed_admin): a random password that signs in, is kept nowhere in
# plain text (not in $STATE/env, not in a log), is not replaced by a second
# start, and can be reset on purpose (stack_admin_password, behind
# `./start.sh admin-password`).  Uses its own user name: the stack's "admin"
# (maybe a developer's) is left alone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/admin.sh"

run=$(unique_id)
user=first$run

is "$(db "SELECT COUNT(*) FROM users WHERE username = '$(stack_env_load; echo "$ADMIN_USER")'")" 1 \
	"the stack's set-up created its admin user ($ADMIN_USER)"

stack_seed_admin "$user" 2> "$TEST_TMP/seed.err"
first=$STACK_ADMIN_NEW_PASSWORD
like "$first" '^[A-Za-z0-9_-]{20}$' "the first start makes a random 20-character password"
is "$(db "SELECT LEFT(password_hash, 3) FROM users WHERE username = '$user'")" '$y$' \
	"the user is stored with a yescrypt hash"
if admin_login "$user" "$first"; then ok "the printed password signs in"; else
	not_ok "the printed password signs in" "status $HTTP_STATUS"; fi
hits=$(grep -rlF -- "$first" "$STATE/env" "$STATE/logs" "$STATE/wapool.conf" 2> /dev/null)
is "$hits" "" "the password is in no file of the stack (env, config, logs)"
hits=$(grep -rlaF -- "$first" "$STATE/db" 2> /dev/null)
is "$hits" "" "nor in MariaDB's files"

hash=$(db "SELECT password_hash FROM users WHERE username = '$user'")
stack_seed_admin "$user" 2> "$TEST_TMP/seed.err"
is "$STACK_ADMIN_NEW_PASSWORD" "" "a second start prints no new password"
is "$(db "SELECT password_hash FROM users WHERE username = '$user'")" "$hash" \
	"and does not reset the stored one"
if admin_login "$user" "$first"; then ok "the first password still signs in"; else
	not_ok "the first password still signs in" "status $HTTP_STATUS"; fi

# A reset on purpose: a new password, the old one refused; it lifts a lock-out too.
for i in 1 2 3 4 5 6; do admin_login "$user" "wrong-$i-$first"; done
admin_login "$user" "$first"
is "$HTTP_STATUS" 429 "after repeated failures the account is locked (429), even with the right password"
stack_admin_password "$user" 2> "$TEST_TMP/reset.err"
second=$STACK_ADMIN_NEW_PASSWORD
like "$second" '^[A-Za-z0-9_-]{20}$' "a reset makes a new random password"
isnt "$second" "$first" "a different one"
if admin_login "$user" "$second"; then ok "the new password signs in (lock-out lifted)"; else
	not_ok "the new password signs in (lock-out lifted)" "status $HTTP_STATUS"; fi
admin_login "$user" "$first"
is "$HTTP_STATUS" 401 "the old one is refused"
is "$(grep -rlF -- "$second" "$STATE/env" "$STATE/logs" 2> /dev/null)" "" "the new one is in no file either"
like "$(grep -F "user password $user" "$STATE/logs/wapoolctl.log")" 'the password is not logged' \
	"the wapoolctl log records the reset without the password"

done_testing
