#!/usr/bin/env bash
# Tampering at rest: someone with write access to a stopped agent's cache
# (a stolen SD card, a careless admin) edits what it will apply. With the
# hub down, the restarted agent must refuse the edited cache: it applies
# nothing from it, names the verification failure in its log and queues a
# Failed status. Once the hub is back it fetches the genuine spec (or the
# signed desired set), applies it, the hub shows Ready, and the Failed
# status queued offline is in the hub's store.
#
# 1. the cached spec content is edited (no longer its digest)
# 2. the cached desired entry's signature is edited
# 3. content and digest are both replaced, consistently (the content is
#    its digest, but the hub's signature covers another digest)
source "$(dirname "$0")/lib.sh"

APPLIED_REL=app/configmap.default.app.json
AGENT_ARGS=(a1 role=any --drift-interval 300ms)
applied() { echo "$T/a1/out/$APPLIED_REL"; }
cache() { cache_db a1; }

# queued_failed MESSAGE: seq of the last Failed status of app with MESSAGE
# in a1's outbox (empty if none).
queued_failed() {
    sql "$(cache)" "SELECT max(seq) FROM outbox WHERE bundle = 'app' AND state = 'Failed' AND message = '$1'"
}
has_queued_failed() { [ -n "$(queued_failed "$1")" ]; }
# queued_after SEQ STATE: a status STATE of app was queued after SEQ.
queued_after() {
    [ "$(sql "$(cache)" "SELECT count(*) FROM outbox WHERE bundle = 'app' AND seq > $1 AND state = '$2'")" -gt 0 ]
}
# hub_stored SEQ STATE MESSAGE: the hub's status_log holds a1's status SEQ as sent.
hub_stored() {
    [ "$(sql "$(hub_db)" "SELECT count(*) FROM status_log WHERE agent_id = '$(agent_id_of a1)'
        AND seq = $1 AND bundle = 'app' AND state = '$2' AND message = '$3'")" = 1 ]
}
agent_api_ready() {
    ctl agent a1 -o json | jq -e --arg c "$C1" \
        '[.bundles[] | select(.bundle == "app")] | length == 1 and .[0].state == "Ready" and .[0].revision == $c' \
        >/dev/null
}
genuine_applied() { cmp -s "$T/expected.json" "$(applied)"; }
no_evil_applied() { ! grep -rqs evil "$T/a1/out"; }

# Both down: the agent is stopped (SIGTERM, waited for) before its cache is
# edited, the hub so that the restarted agent can only use its cache.
stop_both() {
    stop_agent a1
    stop_hub
    assert_integrity "$(cache)"
}

# restart_offline LOG_PATTERN MESSAGE: start a1 with the workload gone (it
# must apply again) and the hub down; wait until it refused its cache: the
# log names LOG_PATTERN and Failed MESSAGE is queued. Sets FAILED_SEQ.
restart_offline() {
    rm -rf "$T/a1/out"
    LOG_LINES=$(wc -l < "$T/a1.log")
    start_agent "${AGENT_ARGS[@]}"
    wait_for "a1 queues Failed: $2" 15 has_queued_failed "$2"
    FAILED_SEQ=$(queued_failed "$2")
    tail -n +"$((LOG_LINES + 1))" "$T/a1.log" | grep -q -- "$1" || fail "a1's log does not name the failure ($1)"
}

# The refused cache stays refused: nothing applied over several drift
# intervals (300 ms each; without the check a1 re-applies in its first pass).
assert_nothing_applied() {
    sleep 1.5  # the observation window, not synchronisation
    no_evil_applied || fail "a1 applied tampered content: $(grep -rs evil "$T/a1/out")"
    [ ! -e "$(applied)" ] || fail "a1 applied from a cache it should refuse: $(cat "$(applied)")"
}

# recover MESSAGE: the hub comes back; a1 fetches what it needs, applies the
# genuine spec, the hub shows Ready and holds the Failed status queued offline.
recover() {
    restart_hub_ready
    wait_for "a1 applies the genuine spec again" 30 genuine_applied
    wait_for "a1's outbox drained to the hub" 30 outbox_empty a1
    wait_for "app Ready on a1 in droverctl agent" 15 agent_api_ready
    hub_stored "$FAILED_SEQ" Failed "$1" ||
        fail "the hub's status_log lacks a1's offline status $FAILED_SEQ (Failed: $1): $(sql "$(hub_db)" \
            "SELECT seq, state, message FROM status_log WHERE agent_id = '$(agent_id_of a1)' ORDER BY seq" | tr '\n' ' ')"
    no_evil_applied || fail "tampered content applied after the hub came back"
}

start_hub
REG=$(new_token)
clone_fleet
write_app_bundle
C1=$(push_fleet "app v1")
start_agent "${AGENT_ARGS[@]}"
wait_for "app Ready on a1 at $C1" 20 agent_ready_at a1 1 "$C1"
wait_for "a1's outbox acknowledged" 10 outbox_empty a1
cp "$(applied)" "$T/expected.json"
grep -q '"version": *"1"' "$T/expected.json" || fail "unexpected applied object: $(cat "$T/expected.json")"
pass "a1 applied app and reported Ready"

# ---- 1. the spec content is edited ----------------------------------------
DIGEST_MSG="cached spec failed verification; refetching"
stop_both
sql "$(cache)" "UPDATE content SET spec = CAST(replace(CAST(spec AS TEXT), '\"version\":\"1\"', '\"version\":\"evil\"') AS BLOB)"
[ "$(sql "$(cache)" "SELECT count(*) FROM content WHERE instr(CAST(spec AS TEXT), '\"version\":\"evil\"') > 0")" = 1 ] ||
    fail "the cached spec was not edited: $(sql "$(cache)" "SELECT CAST(spec AS TEXT) FROM content")"
restart_offline "does not match its digest" "$DIGEST_MSG"
# The refused content was dropped; a later pass waits for the hub's copy.
wait_for "a1 waits for the spec after refusing it" 10 queued_after "$FAILED_SEQ" Pending
assert_nothing_applied
pass "edited spec refused offline, nothing applied (Failed queued as seq $FAILED_SEQ)"
recover "$DIGEST_MSG"
pass "the hub came back: genuine spec refetched and applied, Ready, offline Failed stored"

# ---- 2. the desired entry's signature is edited ---------------------------
SIGNATURE_MSG="cached desired entry failed signature verification; asking the hub again"
stop_both
SIG=$(sql "$(cache)" "SELECT hex(signature) FROM desired WHERE bundle = 'app'")
[ ${#SIG} -gt 40 ] || fail "no signature cached for app: '$SIG'"
# A byte inside the DER signature's r value (past its 8 header bytes).
FLIPPED=${SIG:0:20}$(printf '%X' $(((0x${SIG:20:1} + 1) % 16)))${SIG:21}
sql "$(cache)" "UPDATE desired SET signature = X'$FLIPPED' WHERE bundle = 'app'"
[ "$(sql "$(cache)" "SELECT hex(signature) FROM desired WHERE bundle = 'app'")" = "$FLIPPED" ] ||
    fail "the cached signature was not edited"
restart_offline "cached desired entry fails signature verification" "$SIGNATURE_MSG"
# The reconciler forgot the set's hash, so that the hub sends the set again.
[ -z "$(sql "$(cache)" "SELECT hex(hash) FROM desired_set")" ] || fail "a1 kept the desired set's hash"
assert_nothing_applied
pass "edited signature refused offline, nothing applied (Failed queued as seq $FAILED_SEQ)"
recover "$SIGNATURE_MSG"
[ "$(sql "$(cache)" "SELECT hex(signature) FROM desired WHERE bundle = 'app'")" != "$FLIPPED" ] ||
    fail "a1 still holds the edited signature"
pass "the hub came back: signed set received again, applied, Ready, offline Failed stored"

# ---- 3. content and digest replaced together ------------------------------
# The content matches the (new) digest; only the hub's signature, over the
# genuine digest, gives the forgery away.
stop_both
python3 - "$(cache)" <<'EOF' || fail "could not forge the cache"
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(digest, spec), = db.execute("SELECT c.digest, c.spec FROM content c JOIN desired d ON d.digest = c.digest")
forged = bytes(spec).replace(b'"version":"1"', b'"version":"evil"')
assert forged != bytes(spec), "nothing to replace"
new = hashlib.sha256(forged).digest()
with db:
    db.execute("UPDATE content SET digest = ?, spec = ? WHERE digest = ?", (new, forged, digest))
    db.execute("UPDATE desired SET digest = ? WHERE digest = ?", (new, digest))
    db.execute("UPDATE applied SET digest = ? WHERE digest = ?", (new, digest))
EOF
restart_offline "cached desired entry fails signature verification" "$SIGNATURE_MSG"
assert_nothing_applied
pass "forged content with a matching digest refused offline, nothing applied (Failed queued as seq $FAILED_SEQ)"
recover "$SIGNATURE_MSG"
pass "the hub came back: genuine set and spec fetched, applied, Ready"
