#!/usr/bin/env bash
# An agent keeps its identity across restarts without the registration token;
# a wrong token is refused; a second device claiming a taken name gets its own
# suffixed name; a label change converges; the registration token's --uses limit holds.
source "$(dirname "$0")/lib.sh"

start_hub
clone_fleet
mkdir -p "$T/fleet/gw"
cat > "$T/fleet/gw/bundle.yaml" <<'YAML'
targets: [{selector: {matchLabels: {role: gateway}}}]
YAML
cat > "$T/fleet/gw/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: gw, namespace: default}
data: {a: "1"}
YAML
C1=$(push_fleet "gw bundle")

REG=$(new_token --uses 2)
start_agent edge role=gateway
wait_for "edge Ready" 15 is_state edge gw Ready
ID=$(agent_field edge .id)
pass "edge registered as $ID"

# Restart without any token: the stored credential is used.
stop_agent edge
wait_for "edge offline" 10 is_online edge false
REG=none start_agent edge role=gateway
wait_for "edge back online" 10 is_online edge true
[ "$(agent_field edge .id)" = "$ID" ] || fail "edge came back with a different id"
[ "$(agent_count)" = 1 ] || fail "restart created a second agent"
pass "restart keeps identity without the token"

# A second device with the same name: never takes over 'edge'.
mkdir -p "$T/other"
"$AGENT_BIN" --hub "$HUB_WSS" --ca "$T/hub/tls/ca.pem" --token "$REG" --data-dir "$T/other" \
    --labels role=sensor --apply "dir:$T/other/out" --name edge >> "$T/other.log" 2>&1 &
PIDS+=($!)
wait_for "second device registered as edge-2" 10 is_online edge-2 true
[ "$(agent_field edge .id)" = "$ID" ] || fail "the original edge lost its identity"
pass "name collision handled: second device is edge-2"

# The token allowed 2 uses: a third registration is refused with a clear reason.
"$AGENT_BIN" --hub "$HUB_WSS" --ca "$T/hub/tls/ca.pem" --token "$REG" --data-dir "$T/third" \
    --labels role=sensor --apply "dir:$T/third/out" --name third >> "$T/third.log" 2>&1 &
PIDS+=($!)
wait_for "third refused: used up" 10 grep -q "used up" "$T/third.log"
# A wrong token is refused too, and registers nothing.
"$AGENT_BIN" --hub "$HUB_WSS" --ca "$T/hub/tls/ca.pem" --token drv_reg_wrong --data-dir "$T/wrong" \
    --labels role=sensor --apply "dir:$T/wrong/out" --name wrong >> "$T/wrong.log" 2>&1 &
PIDS+=($!)
wait_for "wrong token refused" 10 grep -q "registration token is not known" "$T/wrong.log"
[ "$(agent_count)" = 2 ] || fail "refused registrations must not create agents"
pass "used-up and wrong tokens refused"

# Label change by the operator: edge stops matching, the bundle is pruned.
ctl label edge role- >/dev/null
wait_for "gw removed from edge" 15 has_no_bundle edge gw
wait_for "edge objects pruned" 15 test ! -e "$T/edge/out/gw/configmap.default.gw.json"
ctl label edge role=gateway >/dev/null
wait_for "gw back on edge" 15 is_state edge gw Ready
[ -f "$T/edge/out/gw/configmap.default.gw.json" ] || fail "gw object not rewritten"
pass "label changes converge"

# Hub restart: registrations and statuses survive, agents come back by themselves,
# and nothing the agents run is pruned or rewritten on the way (the file keeps
# its inode: the dir applier writes by rename).
OBJ="$T/edge/out/gw/configmap.default.gw.json"
INODE=$(stat -c %i "$OBJ")
REMOVED_BEFORE=$(grep -c "Removed" "$T/edge.log" || true)
stop_hub
wait_for "edge keeps running its objects" 5 test -f "$OBJ"
restart_hub
wait_for "edge reconnects after the hub restart" 20 is_online edge true
wait_for "hub serving its deployed revision again" 10 grep -q "serving commit" "$T/hub.log"
wait_for "edge Ready after the restart" 10 is_state edge gw Ready
[ "$(stat -c %i "$OBJ")" = "$INODE" ] || fail "edge rewrote or pruned its objects across the hub restart"
[ "$(grep -c "Removed" "$T/edge.log" || true)" = "$REMOVED_BEFORE" ] || fail "edge removed a bundle during the hub restart"
[ "$(agent_field edge .id)" = "$ID" ] || fail "edge's identity did not survive the hub restart"
is_state edge gw Ready || fail "edge's status did not survive the hub restart"
[ "$(status_json | jq -r .revision.commit)" = "$C1" ] || fail "deployed revision not restored after restart"
pass "hub restart keeps registrations, statuses and the deployed revision"
