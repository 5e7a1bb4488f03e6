#!/usr/bin/env bash
# Bad input from the network or from a push: a malformed frame closes only
# that session; an invalid bundle.yaml is reported with file, line and reason
# and the previous revision stays deployed.
source "$(dirname "$0")/lib.sh"
PROBE="$DROVER_BUILD/tests/frame_probe"

start_hub
clone_fleet
write_app_bundle
C1=$(push_fleet "app v1")
REG=$(new_token)
start_agent a1 role=any --drift-interval 300ms
wait_for "app Ready on a1" 15 is_state a1 app Ready

# Drift: someone edits an applied object by hand; selfHeal (the default)
# restores it and the agent says so.
APPLIED="$T/a1/out/app/configmap.default.app.json"
sed -i 's/"1"/"tampered"/' "$APPLIED"
wait_for "drift healed" 10 grep -q '"1"' "$APPLIED"
wait_for "agent reported the drift" 10 grep -q "Modified" "$T/a1.log"
wait_for "app Ready again" 10 is_state a1 app Ready
pass "drift detected and self-healed"

# Garbage, an oversized frame, and a valid frame that is not a Hello.
out=$("$PROBE" 127.0.0.1 "$PORT" "$T/hub/tls/ca.pem" ffffffffff)
echo "$out" | grep -q "close: malformed frame" || fail "garbage frame: hub said: $out"
out=$("$PROBE" 127.0.0.1 "$PORT" "$T/hub/tls/ca.pem" size:2000000)
echo "$out" | grep -q "close: frame exceeds the limit" || fail "oversized frame: hub said: $out"
out=$("$PROBE" 127.0.0.1 "$PORT" "$T/hub/tls/ca.pem" 3a020805)  # Envelope{ack{up_to_seq: 5}}
echo "$out" | grep -q "close: expected hello" || fail "ack before hello: hub said: $out"
is_online a1 true || fail "a1 lost its session because of another connection's garbage"
grep -q "went offline" "$T/hub.log" && fail "an agent went offline during the probes"
pass "malformed frames close only their own session"

# An invalid bundle: refused with file:line: reason; v1 stays deployed.
cat > "$T/fleet/app/bundle.yaml" <<'YAML'
targets:
  - selector:
      matchExpressions:
        - {key: role, operator: Inn, values: [x]}
YAML
sed -i 's/version: "1"/version: "2"/' "$T/fleet/app/cm.yaml"
C2=$(push_fleet "broken app")
wait_for "rejection reported" 10 bash -c "grep -q 'refused' '$T/hub.log'"
err=$(status_json | jq -r '.revision.error.message')
echo "$err" | grep -q 'app/bundle.yaml:4: ' || fail "rejection lacks file:line: $err"
echo "$err" | grep -q 'Inn' || fail "rejection lacks the reason: $err"
[ "$(status_json | jq -r '.revision.commit')" = "$C1" ] || fail "deployed revision moved off $C1"
ctl status | grep -q "Inn" || fail "droverctl status does not show the refused commit"
sleep 1  # give a wrongly deployed revision the time to reach the agent
grep -q '"1"' "$T/a1/out/app/configmap.default.app.json" || fail "agent applied the refused revision"
is_state a1 app Ready || fail "a1 no longer Ready"
pass "invalid bundle refused with file:line, previous revision kept"

# Fixing it deploys normally.
cat > "$T/fleet/app/bundle.yaml" <<'YAML'
targets: [{selector: {}}]
YAML
C3=$(push_fleet "fixed app")
wait_for "v2 applied" 15 grep -q '"2"' "$T/a1/out/app/configmap.default.app.json"
wait_for "Ready at $C3" 15 all_ready_at "$C3"
[ "$(status_json | jq -r '.revision.error')" = null ] || fail "error still shown after a good push"
pass "good push after a bad one deploys"

# Hostile HTTP: a path that is not UTF-8 and a body that is not JSON get JSON
# errors; the hub stays up.
code=$(curl -s -o "$T/r1.json" -w '%{http_code}' --cacert "$T/hub/tls/ca.pem" "$HUB_HTTPS/api/v1/%ff%fe")
[ "$code" = 401 ] || fail "non-UTF-8 path without a token: got HTTP $code"
code=$(curl -s -o "$T/r2.json" -w '%{http_code}' --cacert "$T/hub/tls/ca.pem" -H "Authorization: Bearer $ADMIN" "$HUB_HTTPS/%ff")
[ "$code" = 404 ] && jq -e .error "$T/r2.json" >/dev/null || fail "non-UTF-8 path: got HTTP $code $(cat "$T/r2.json")"
code=$(curl -s -o "$T/r3.json" -w '%{http_code}' --cacert "$T/hub/tls/ca.pem" -H "Authorization: Bearer $ADMIN" \
    -X POST --data-binary $'\xff{' "$HUB_HTTPS/api/v1/tokens")
[ "$code" = 400 ] || fail "garbage body: got HTTP $code"
is_online a1 true || fail "the hub lost its agents after hostile HTTP requests"
pass "hostile HTTP requests answered with JSON errors, hub still up"
