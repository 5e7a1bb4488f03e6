#!/usr/bin/env bash
# Mirror mode: the hub follows a branch of an upstream repository (file://
# here; https and ssh go through the same libgit2 fetch). A good upstream
# commit is deployed; an invalid one is recorded as the revision error and
# not deployed, the last good revision keeps running; a signed webhook makes
# the hub fetch at once; pushes to the hub are refused.
source "$(dirname "$0")/lib.sh"

hub_git init -q --bare "$T/upstream.git"
hub_git clone -q "$T/upstream.git" "$T/up" 2>/dev/null
hub_git -C "$T/up" checkout -q -b main 2>/dev/null || true
mkdir -p "$T/up/app"
printf 'targets: [{selector: {}}]\n' > "$T/up/app/bundle.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: default}\ndata: {version: "1"}\n' > "$T/up/app/cm.yaml"
hub_git -C "$T/up" add -A
hub_git -C "$T/up" commit -q -m v1
hub_git -C "$T/up" push -q origin HEAD:main
V1=$(hub_git -C "$T/up" rev-parse HEAD)

printf 'webhook-secret-for-tests\n' > "$T/hook.secret"
"$HUB_BIN" init --data "$T/hub" > "$T/init.out" 2>&1 || { cat "$T/init.out"; fail "hub init"; }
ADMIN=$(cat "$T/hub/admin.token")
# A long interval: after the first fetch, only the webhook brings news quickly.
restart_hub --git-upstream "file://$T/upstream.git" --git-branch main --git-interval 1h \
    --git-webhook-secret-file "$T/hook.secret"
REG=$(new_token)
start_agent m1 role=any
wait_for "the mirror deploys upstream v1 to m1" 20 agent_ready_at m1 1 "$V1"
[ "$(hub_git -C "$T/hub/fleet.git" rev-parse refs/heads/main)" = "$V1" ] || fail "the hub's main is not upstream v1"
pass "the hub follows upstream main (file://) and the agent runs v1"

# webhook: wrong signature refused, right one fetches now.
hook() {  # hook SIGNATURE BODY -> HTTP status
    curl -s -o "$T/hook.out" -w '%{http_code}' --cacert "$T/hub/tls/ca.pem" -X POST \
        -H "X-Hub-Signature-256: $1" -H 'Content-Type: application/json' --data-binary "$2" "$HUB_HTTPS/api/v1/hooks/git"
}
sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "webhook-secret-for-tests" | sed 's/^.*= //'; }
BODY='{"ref":"refs/heads/main"}'

# An invalid upstream commit: recorded, not deployed.
printf 'targets: [{selector: {matchExpressions: [{key: a, operator: Inn, values: [b]}]}}]\n' > "$T/up/app/bundle.yaml"
hub_git -C "$T/up" commit -q -am "broken selector"
hub_git -C "$T/up" push -q origin HEAD:main
BAD=$(hub_git -C "$T/up" rev-parse HEAD)
[ "$(hook "sha256=$(sign 'another body')" "$BODY")" = 401 ] || fail "a webhook with a wrong signature was accepted: $(cat "$T/hook.out")"
grep -q "does not match" "$T/hook.out" || fail "wrong signature reason: $(cat "$T/hook.out")"
[ "$(hook "sha256=$(sign "$BODY")" "$BODY")" = 202 ] || fail "a signed webhook was refused: $(cat "$T/hook.out")"
bad_recorded() { ctl -o json status | jq -e --arg c "$BAD" '.revision.error.commit == $c' >/dev/null; }
wait_for "the invalid upstream commit recorded as the revision error" 20 bad_recorded
ctl -o json status | jq -r '.revision.error.message' | grep -qF 'app/bundle.yaml:1:' || fail "error does not name the file: $(ctl -o json status | jq .revision)"
ctl status | grep -q "$(cut -c1-12 <<<"$BAD")" || fail "droverctl status does not show the refused commit"
[ "$(hub_git -C "$T/hub/fleet.git" rev-parse refs/heads/main)" = "$V1" ] || fail "the hub's main moved to the invalid commit"
agent_ready_at m1 1 "$V1" || fail "the agent left v1"
pass "an invalid upstream commit is shown as the revision error and not deployed; v1 keeps running"

# The fix, announced by webhook (the interval is an hour: only the hook fetches).
printf 'targets: [{selector: {}}]\n' > "$T/up/app/bundle.yaml"
sed -i 's/version: "1"/version: "2"/' "$T/up/app/cm.yaml"
hub_git -C "$T/up" commit -q -am v2
hub_git -C "$T/up" push -q origin HEAD:main
V2=$(hub_git -C "$T/up" rev-parse HEAD)
[ "$(hook "sha256=$(sign "$BODY")" "$BODY")" = 202 ] || fail "webhook refused: $(cat "$T/hook.out")"
wait_for "the agent runs v2" 20 agent_ready_at m1 1 "$V2"
ctl -o json status | jq -e '.revision.error == null' >/dev/null || fail "the revision error stayed after a good commit"
pass "a signed webhook makes the hub fetch at once; v2 deployed and the error cleared"

# Pushes to a mirror are refused.
PUSH=$(ctl token create --push)
clone_http fleet "$PUSH"
printf 'x: 1\n' > "$T/fleet/notes.yaml"
hub_git -C "$T/fleet" add -A
hub_git -C "$T/fleet" commit -q -m "local change"
out=$(hub_git -C "$T/fleet" push origin HEAD:main 2>&1) && fail "a push to a mirror worked"
grep -q "this hub mirrors file://" <<<"$out" || fail "push refusal does not name the upstream: $out"
pass "pushes to a mirroring hub are refused, naming the upstream"
