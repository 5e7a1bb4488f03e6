#!/usr/bin/env bash
# Spec-signing key rotation without re-provisioning. An agent provisioned
# with --signing-key (the hub's original public key) follows
# `drover-hub rotate-signing-key`: it verifies the chain in Welcome, re-pins,
# takes the set re-signed by the new key without fetching or applying its
# content again, and applies later pushes. Two rotations while it is down
# are walked at once; restarting it with the old --signing-key keeps the
# newest pin. A forged chain stops the hub from starting, and a hub whose
# chain does not lead from the agent's pin is refused with the pin kept.
source "$(dirname "$0")/lib.sh"

start_hub
clone_fleet
write_app_bundle
C1=$(push_fleet "app bundle")
cp "$T/hub/keys/signing.pub.pem" "$T/original.pub.pem"

pinned() { sql "$(cache_db edge)" 'SELECT signing_key_pem FROM identity'; }
pinned_is() { [ "$(pinned)" = "$(cat "$1")" ]; }
fetches() { grep -c "fetched spec" "$T/edge.log" || true; }
rotate() {
    "$HUB_BIN" rotate-signing-key --data "$1" > "$T/rotate.out" 2>&1 || { cat "$T/rotate.out"; fail "rotate-signing-key $1"; }
}

REG=$(new_token --uses 5)
start_agent edge role=gateway --signing-key "$T/original.pub.pem"
wait_for "edge Ready at ${C1:0:12}" 20 agent_ready_at edge 1 "$C1"
pinned_is "$T/original.pub.pem" || fail "the cache does not hold the --signing-key key"
OBJ="$T/edge/out/app/configmap.default.app.json"
INODE=$(stat -c %i "$OBJ")
FETCHED=$(fetches)
[ "$FETCHED" = 1 ] || fail "expected one spec fetch before the rotation, saw $FETCHED"
pass "edge runs app at ${C1:0:12}, pinned to the provisioned key"

# ---- One rotation, the hub stopped; the agent stays up --------------------
stop_hub
rotate "$T/hub"
grep -q "^Rotated the spec-signing key of $T/hub: [0-9a-f]\{12\} -> [0-9a-f]\{12\}$" "$T/rotate.out" \
    || fail "rotate summary: $(cat "$T/rotate.out")"
grep -q "^Restart the running hub" "$T/rotate.out" || fail "rotate does not say the hub must be restarted"
CHAIN="$T/hub/keys/signing-chain.json"
[ "$(jq length "$CHAIN")" = 2 ] || fail "chain should have 2 links: $(cat "$CHAIN")"
[ "$(jq -r '.[0].key' "$CHAIN")" = "$(cat "$T/original.pub.pem")" ] || fail "chain does not start at the original key"
[ "$(jq -r '.[0].endorsement' "$CHAIN")" = "" ] || fail "the original key carries an endorsement"
[ "$(jq -r '.[1].key' "$CHAIN")" = "$(cat "$T/hub/keys/signing.pub.pem")" ] || fail "chain does not end at the new key"
! cmp -s "$T/hub/keys/signing.pub.pem" "$T/original.pub.pem" || fail "signing.pub.pem still holds the old key"
[ "$(stat -c %a "$T/hub/keys/signing.pem")" = 600 ] || fail "signing.pem is not 0600"
[ ! -e "$T/hub/keys/signing.next.pem" ] || fail "rotation left signing.next.pem behind"
cp "$T/hub/keys/signing.pub.pem" "$T/second.pub.pem"
pass "rotate-signing-key wrote the new key and a 2-link chain from the original"

restart_hub
grep -q "spec-signing key [0-9a-f]\{12\} (rotated 1 time" "$T/hub.log" || fail "hub does not log its rotated key"
wait_for "edge re-pins" 20 grep -q "hub's spec-signing key rotated; now pinned to" "$T/edge.log"
wait_for "edge pinned to the new key" 5 pinned_is "$T/second.pub.pem"
wait_for "edge Ready at ${C1:0:12} after the rotation" 20 agent_ready_at edge 1 "$C1"
[ "$(fetches)" = "$FETCHED" ] || fail "edge fetched content again after the rotation"
[ "$(stat -c %i "$OBJ")" = "$INODE" ] || fail "edge re-applied app after the rotation"
! grep -q "failed signature verification" "$T/edge.log" || fail "a cached entry failed verification during the re-pin"
! grep -q "bundle app: Failed" "$T/edge.log" || fail "app went Failed during the re-pin"
[ "$(curl -s --cacert "$T/hub/tls/ca.pem" "$HUB_HTTPS/api/v1/trust" -H "Authorization: Bearer $ADMIN" \
    | jq -r .signing_key)" = "$(cat "$T/second.pub.pem")" ] || fail "/api/v1/trust does not serve the current key"
pass "edge re-pinned, stayed Ready without fetching or re-applying; /trust serves the new key"

sed -i 's/version: "1"/version: "2"/' "$T/fleet/app/cm.yaml"
C2=$(push_fleet "app v2")
wait_for "edge Ready at ${C2:0:12}" 20 agent_ready_at edge 1 "$C2"
grep -q '"version": *"2"' "$OBJ" || fail "edge did not apply the push signed by the new key"
# One fetch for v2, none for v1 again since the rotation.
[ "$(fetches)" = $((FETCHED + 1)) ] || fail "expected $((FETCHED + 1)) spec fetches by now, saw $(fetches)"
pass "a push signed by the new key is applied"

# ---- Two rotations while the agent is down; restart with the old flag ------
stop_agent edge
stop_hub
rotate "$T/hub"
rotate "$T/hub"
[ "$(jq length "$CHAIN")" = 4 ] || fail "chain should have 4 links after three rotations"
cp "$T/hub/keys/signing.pub.pem" "$T/fourth.pub.pem"
restart_hub
REG=none start_agent edge role=gateway --signing-key "$T/original.pub.pem"
wait_for "edge walks two links" 20 grep -q "(2 endorsements verified)" "$T/edge.log"
wait_for "edge pinned to the newest key" 10 pinned_is "$T/fourth.pub.pem"
wait_for "edge Ready at ${C2:0:12}" 20 agent_ready_at edge 1 "$C2"
pass "edge walked the two rotations made while it was down"

stop_agent edge
REG=none start_agent edge role=gateway --signing-key "$T/original.pub.pem"
wait_for "edge keeps the newest pin" 10 grep -q "which the hub has since rotated to" "$T/edge.log"
wait_for "edge online again" 10 is_online edge true
pinned_is "$T/fourth.pub.pem" || fail "the old --signing-key replaced the rotated pin"
sed -i 's/version: "2"/version: "3"/' "$T/fleet/app/cm.yaml"
C3=$(push_fleet "app v3")
wait_for "edge Ready at ${C3:0:12}" 20 agent_ready_at edge 1 "$C3"
pass "restarted with the original --signing-key, edge stays pinned to the newest key and applies pushes"

# ---- A forged chain: the hub refuses to serve it ---------------------------
stop_hub
cp "$CHAIN" "$T/chain.good"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/forger.pem" 2>/dev/null
# Endorse the current key with a key outside the chain.
jq -j '.[3].key' "$CHAIN" | { printf 'drover signing-key rotation v1\n'; cat; } > "$T/message"
FORGED=$(openssl dgst -sha256 -sign "$T/forger.pem" "$T/message" | base64 -w0)
jq --arg e "$FORGED" '.[3].endorsement = $e' "$T/chain.good" > "$CHAIN"
if "$HUB_BIN" serve --data "$T/hub" --listen "$HUB_LISTEN" > "$T/forged-serve.log" 2>&1; then
    fail "the hub served a forged chain"
fi
grep -q "signing-chain.json: the endorsement of link 4 of 4 (key [0-9a-f]\{12\}) does not verify" \
    "$T/forged-serve.log" || fail "forged chain refusal: $(cat "$T/forged-serve.log")"
cp "$T/chain.good" "$CHAIN"
pass "the hub refuses to start with a forged endorsement in its chain"

# ---- An impostor with its own chain: the agent refuses it, keeps its pin ---
# Same CA, server certificate and store (so TLS and the credential pass),
# but a key lineage that never held the agent's key.
cp -a "$T/hub" "$T/impostor"
rm -f "$T/impostor/keys/signing-chain.json"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/impostor/keys/signing.pem" 2>/dev/null
rotate "$T/impostor"
"$HUB_BIN" serve --data "$T/impostor" --listen "$HUB_LISTEN" >> "$T/impostor.log" 2>&1 &
IMPOSTOR_PID=$!
PIDS+=("$IMPOSTOR_PID")
wait_for "impostor refused" 20 grep -q "refusing it: the pinned key [0-9a-f]\{12\} is not in the hub's signing-key chain (2 links)" \
    "$T/edge.log"
pinned_is "$T/fourth.pub.pem" || fail "the impostor changed the agent's pin"
grep -q '"version": *"3"' "$OBJ" || fail "edge stopped running app v3"
kill "$IMPOSTOR_PID"
wait "$IMPOSTOR_PID" 2>/dev/null || true
restart_hub
wait_for "edge back on the real hub" 20 is_online edge true
wait_for "edge Ready at ${C3:0:12}" 20 agent_ready_at edge 1 "$C3"
pinned_is "$T/fourth.pub.pem" || fail "edge lost its pin"
pass "a hub whose chain does not lead from the pin is refused; the pin and the workload stay"
