#!/usr/bin/env bash
# Configurable limits (drover-hub serve --limit NAME=VALUE): a bad value is a
# usage error naming it; each refusal caused by a limit names the limit, on
# the agent link, the API and git push; registrations are rate-limited per
# source address while registered agents come and go freely.
source "$(dirname "$0")/lib.sh"
PROBE="$DROVER_BUILD/tests/frame_probe"

# Bad --limit values stop the hub before it starts, with one clear line.
set +e
out=$("$HUB_BIN" serve --data "$T/none" --limit spec-bytes=1GiB 2>&1); rc=$?
set -e
[ $rc = 2 ] || fail "an out-of-range --limit exited $rc: $out"
grep -q -- '--limit spec-bytes: "1GiB" is not a size from 1KiB to 128MiB' <<<"$out" || fail "out of range: $out"
set +e
out=$("$HUB_BIN" serve --data "$T/none" --limit spec_bytes=1 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q -- '--limit: unknown limit "spec_bytes" (known: frame-bytes, ' <<<"$out" ||
    fail "unknown limit: rc $rc: $out"
"$HUB_BIN" limits --limit bundles=1 | grep -qE '^bundles +1 +bundles in the fleet repository$' ||
    fail "drover-hub limits does not show the value set"
pass "bad --limit values are usage errors naming the limit"

HUB_FLAGS="--limit registrations-per-minute=2 --limit request-body-bytes=4KiB --limit bundles=1
           --limit agent-labels=3 --limit frame-bytes=256KiB"
start_hub
REG=$(new_token)

# Frames: the configured size, named.
out=$("$PROBE" 127.0.0.1 "$PORT" "$T/hub/tls/ca.pem" size:300000)
grep -q "close: frame exceeds the limit of 262144 bytes (hub limit frame-bytes)" <<<"$out" ||
    fail "oversized frame: hub said: $out"
pass "a frame over frame-bytes is refused, naming the limit"

# Labels: checked before the token, so no registration attempt is spent.
start_agent many role=x,a=1,b=2,c=3
wait_for "labels refusal" 10 grep -q "too many labels (4, hub limit agent-labels is 3)" "$T/many.log"
stop_agent many
pass "an agent reporting more labels than agent-labels is refused, naming the limit"

# Registration: two attempts a minute from one address, wrong tokens included.
start_agent a1 role=x
wait_for "a1 online" 15 is_online a1 true
REG=drv_reg_guessing start_agent guesser role=x
wait_for "guesser rate-limited" 15 grep -q \
    "too many registration attempts from 127.0.0.1; retry in [0-9]* s (hub limit registrations-per-minute)" \
    "$T/guesser.log"
grep -q "registration token is not known to this hub" "$T/guesser.log" || fail "the first guess was not answered"
stop_agent guesser
start_agent a2 role=x
wait_for "a2 rate-limited" 15 grep -q "too many registration attempts from 127.0.0.1" "$T/a2.log"
[ "$(agent_count)" = 1 ] || fail "a rate-limited registration was stored"
stop_agent a2
# A registered agent reconnects with its credential: not a registration.
stop_agent a1
wait_for "a1 offline" 10 is_online a1 false
start_agent a1 role=x
wait_for "a1 online again" 15 is_online a1 true
pass "registrations are limited per address; a registered agent reconnects freely"

# API bodies.
body=$(printf '{"kind":"viewer"%5000s}' "")
reply=$(curl -sS --cacert "$T/hub/tls/ca.pem" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -w '\n%{http_code}' --data-binary "$body" "$HUB_HTTPS/api/v1/tokens")
[ "$(tail -n 1 <<<"$reply")" = 413 ] || fail "a 5 KB body got: $reply"
head -n 1 <<<"$reply" | jq -e '.error == "request body is larger than the limit of 4096 bytes (hub limit request-body-bytes)"' \
    >/dev/null || fail "413 body: $reply"
pass "an API body over request-body-bytes gets 413 naming the limit"

# git push: a repository with more bundles than the limit is refused at push time.
PUSH=$(ctl token create --push)
clone_http work "$PUSH"
for b in one two; do
    mkdir -p "$T/work/$b"
    printf 'targets: [{selector: {}}]\n' > "$T/work/$b/bundle.yaml"
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: default}\n' "$b" > "$T/work/$b/cm.yaml"
done
hub_git -C "$T/work" add -A
hub_git -C "$T/work" commit -q -m "two bundles"
set +e
out=$(hub_git -C "$T/work" push origin HEAD:main 2>&1); rc=$?
set -e
[ $rc != 0 ] || fail "a push over the bundle limit was accepted"
grep -q "repository has 2 bundles, more than the limit of 1 (hub limit bundles)" <<<"$out" || fail "push refusal: $out"
pass "a push over bundles is refused at git push time, naming the limit"
