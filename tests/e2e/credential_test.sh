#!/usr/bin/env bash
# Agent credential rotation: asked for by the operator (online: at once;
# offline: at the next connection) and by age (--credential-max-age). The
# agent's session is never interrupted, the agent keeps the new credential
# across restarts, and the old one is refused once the new one is stored.
source "$(dirname "$0")/lib.sh"

credential_of() { sql "$(cache_db "$1")" 'SELECT credential FROM identity'; }
credential_is_not() { [ "$(credential_of "$1")" != "$2" ]; }
rotations() { ctl -o json events --kind credential | jq 'length'; }
rotations_are() { [ "$(rotations)" = "$1" ]; }
sessions_of() { grep -c "session established" "$T/$1.log"; }

HUB_FLAGS="--credential-max-age 0s --idle-timeout 2s"
start_hub
REG=$(new_token)
start_agent a1 role=x
wait_for "a1 online" 15 is_online a1 true
FIRST=$(credential_of a1)

# Online: the new credential arrives within the session.
out=$(ctl rotate-credential a1)
grep -q "agent a1 gets a new credential now" <<<"$out" || fail "rotate-credential said: $out"
wait_for "a1 stored a new credential" 10 credential_is_not a1 "$FIRST"
wait_for "the hub recorded the rotation" 10 rotations_are 1
SECOND=$(credential_of a1)
[ "$(sessions_of a1)" = 1 ] || fail "the rotation interrupted a1's session"
is_online a1 true || fail "a1 went offline"
grep -q "the hub rotated this agent's credential" "$T/a1.log" || fail "a1 did not log the rotation"
pass "an online agent's credential is rotated without interrupting its session"

# The old credential is refused; the new one logs in.
stop_agent a1
sql "$(cache_db a1)" "UPDATE identity SET credential = '$FIRST'"
start_agent a1 role=x
wait_for "the old credential refused" 15 grep -q "unknown or revoked agent credential" "$T/a1.log"
stop_agent a1
sql "$(cache_db a1)" "UPDATE identity SET credential = '$SECOND'"
start_agent a1 role=x
wait_for "a1 back with the new credential" 15 is_online a1 true
pass "the old credential is refused once the new one is stored"

# Offline: rotated at its next connection.
stop_agent a1
wait_for "a1 offline" 10 is_online a1 false
out=$(ctl rotate-credential a1)
grep -q "when it next connects" <<<"$out" || fail "rotate-credential (offline) said: $out"
start_agent a1 role=x
wait_for "a1 rotated at its connection" 15 credential_is_not a1 "$SECOND"
wait_for "second rotation recorded" 10 rotations_are 2
THIRD=$(credential_of a1)
pass "an offline agent gets its new credential when it connects"

# By age: the hub's sweep rotates credentials older than --credential-max-age.
stop_hub
restart_hub --credential-max-age 3s
wait_for "a1 online after the hub restart" 15 is_online a1 true
before=$(sessions_of a1)
wait_for "a1 rotated by age" 20 credential_is_not a1 "$THIRD"
wait_for "third rotation recorded" 10 rotations_are 3
[ "$(sessions_of a1)" = "$before" ] || fail "the age rotation interrupted a1's session"
pass "credentials older than --credential-max-age are rotated in place"

# Errors: unknown agent exits 4; bad flag values are usage errors.
set +e
ctl rotate-credential nobody > "$T/nobody.out" 2>&1; rc=$?
set -e
[ $rc = 4 ] || fail "rotate-credential of an unknown agent exited $rc: $(cat "$T/nobody.out")"
set +e
out=$("$HUB_BIN" serve --data "$T/hub" --credential-max-age soon 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q -- '--credential-max-age "soon" is not a duration' <<<"$out" || fail "bad max age: $rc $out"
pass "an unknown agent is exit 4; a bad --credential-max-age is a usage error"
