#!/usr/bin/env bash
# The REST API over real HTTPS against a running hub, with curl and
# droverctl: agents listed, filtered by selector and state and paged with
# limit + continue; agent and bundle detail; the summary; events, their
# kinds, and a live event on `droverctl events --follow`; tokens created,
# listed and revoked; viewer, push and missing tokens; every error JSON with
# a message and the right status; an agent revoked.
source "$(dirname "$0")/lib.sh"

CA="$T/hub/tls/ca.pem"
# api METHOD PATH [TOKEN] [BODY]: the status on stdout, the body in $T/body.
# TOKEN "-" sends no Authorization header.
api() {
    local method=$1 path=$2 token=${3:-$ADMIN} body=${4:-}
    local args=(-sS --cacert "$CA" -o "$T/body" -w '%{http_code}' -X "$method")
    [ "$token" = - ] || args+=(-H "Authorization: Bearer $token")
    [ -z "$body" ] || args+=(-H "Content-Type: application/json" --data "$body")
    curl "${args[@]}" "$HUB_HTTPS$path"
}
body() { cat "$T/body"; }
# get PATH [TOKEN]: the body of a 200 answer, else the test fails.
get() {
    local status
    status=$(api GET "$1" "${2:-$ADMIN}")
    [ "$status" = 200 ] || fail "GET $1: HTTP $status: $(body)"
    body
}
# expect_error STATUS METHOD PATH [TOKEN] [BODY]: the answer has STATUS and
# is a JSON object with a non-empty "error" string; the message is printed.
expect_error() {
    local want=$1; shift
    local status
    status=$(api "$@")
    [ "$status" = "$want" ] || fail "$1 $2: wanted HTTP $want, got $status: $(body)"
    jq -e 'type == "object" and (.error | type == "string" and length > 0)' "$T/body" >/dev/null ||
        fail "$1 $2 (HTTP $status) is not a JSON error: $(body)"
    jq -r .error "$T/body"
}
names() { jq -r '[.[].name] | join(",")'; }

start_hub
REG=$(new_token --labels site=lab)
start_agent gw1 role=gateway,region=eu
start_agent gw2 role=gateway,region=us
start_agent sensor1 role=sensor,region=eu
wait_for "3 agents online" 15 online_is 3

clone_fleet
mkdir -p "$T/fleet/web" "$T/fleet/base"
printf 'targets: [{selector: {matchLabels: {role: gateway}}}]\n' > "$T/fleet/web/bundle.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: default}\ndata: {v: "1"}\n' \
    > "$T/fleet/web/cm.yaml"
printf 'targets: [{selector: {}}]\n' > "$T/fleet/base/bundle.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base, namespace: default}\ndata: {v: "1"}\n' \
    > "$T/fleet/base/cm.yaml"
C1=$(push_fleet "web and base")
wait_for "every agent Ready at $C1" 20 all_ready_at "$C1"
wait_for "gw1 runs both bundles" 10 agent_ready_at gw1 2 "$C1"
pass "3 agents, 2 bundles deployed"

# ---- agents: list, selector, state, pages -----------------------------------
list=$(get /api/v1/agents)
[ "$(jq .total <<<"$list")" = 3 ] || fail "total: $list"
[ "$(jq -r '.items | map(.name) | join(",")' <<<"$list")" = gw1,gw2,sensor1 ] || fail "items: $list"
jq -e '.continue == null' <<<"$list" >/dev/null || fail "one page has a continue: $list"
jq -e '.items[0] | .id != "" and .labels.site == "lab" and .facts.os != null and .version != "" and .online
       and .offline_since == null and .last_seen != null and (.bundles | length) == 2' <<<"$list" >/dev/null ||
    fail "agent fields: $(jq .items[0] <<<"$list")"
[ "$(get '/api/v1/agents?selector=role%3Dgateway' | jq -r '[.items[].name] | join(",")')" = gw1,gw2 ] ||
    fail "selector role=gateway: $(body)"
[ "$(get '/api/v1/agents?selector=role%3Dgateway,region!%3Deu' | jq -r '[.items[].name] | join(",")')" = gw2 ] ||
    fail "selector role=gateway,region!=eu: $(body)"
[ "$(ctl -o json agents -l 'region in (eu),!nothere' | names)" = gw1,sensor1 ] ||
    fail "droverctl agents -l 'region in (eu),!nothere': $(ctl -o json agents -l 'region in (eu),!nothere')"
ctl agents -l role=sensor | grep -q "^sensor1   yes   .*base:Ready" || fail "agents table: $(ctl agents -l role=sensor)"
pass "agents list and filter by label selector (curl and droverctl)"

page1=$(get '/api/v1/agents?limit=2')
[ "$(jq -r '[.items[].name] | join(",")' <<<"$page1")" = gw1,gw2 ] || fail "page 1: $page1"
cursor=$(jq -r .continue <<<"$page1")
[ -n "$cursor" ] && [ "$cursor" != null ] || fail "page 1 has no continue: $page1"
page2=$(get "/api/v1/agents?limit=2&continue=$cursor")
[ "$(jq -r '[.items[].name] | join(",")' <<<"$page2")" = sensor1 ] || fail "page 2: $page2"
jq -e '.continue == null and .total == 3' <<<"$page2" >/dev/null || fail "page 2 is not the last: $page2"
[ "$(ctl -o json agents --limit 2 | names)" = gw1,gw2 ] || fail "droverctl agents --limit 2"
pass "agents page with limit + continue"

stop_agent sensor1
wait_for "sensor1 offline" 10 is_online sensor1 false
[ "$(get '/api/v1/agents?state=Offline' | jq -r '[.items[].name] | join(",")')" = sensor1 ] || fail "state=Offline: $(body)"
# An offline agent keeps its last known states.
[ "$(ctl -o json agents --state Ready | names)" = gw1,gw2,sensor1 ] || fail "droverctl agents --state Ready"
[ "$(ctl agents --state Failed)" = "No agents match." ] || fail "droverctl agents --state Failed"
ctl agents --state Offline | grep -q "^sensor1   offline since [0-9]*[smhd] " || fail "offline column: $(ctl agents --state Offline)"
pass "agents filter by state (Offline, Ready)"

# ---- agent and bundle detail, bundles, summary --------------------------------
gw1=$(get /api/v1/agents/gw1)
jq -e --arg c "$C1" '.name == "gw1" and ([.bundles[] | select(.state == "Ready" and .revision == $c)] | length) == 2' \
    <<<"$gw1" >/dev/null || fail "agent detail: $gw1"
ctl agent gw1 | grep -q "^web      Ready   $(cut -c1-12 <<<"$C1")   yes" || fail "droverctl agent gw1: $(ctl agent gw1)"
set +e; ctl agent ghost >/dev/null 2>"$T/err"; rc=$?; set -e
[ $rc = 4 ] || fail "droverctl agent ghost exited $rc: $(cat "$T/err")"
expect_error 404 GET /api/v1/agents/ghost >/dev/null

web=$(get /api/v1/bundles/web)
jq -e --arg c "$C1" '.targeted == 2 and .ready == 2 and .revision == $c and .commit == $c
       and .agents.Ready == ["gw1","gw2"]' <<<"$web" >/dev/null || fail "bundle detail: $web"
[ "$(ctl bundle web --state Ready | paste -sd,)" = gw1,gw2 ] || fail "droverctl bundle web --state Ready"
ctl -o json bundles | jq -e '[.[] | {name, targeted, ready, offline}] ==
    [{"name":"base","targeted":3,"ready":3,"offline":1},{"name":"web","targeted":2,"ready":2,"offline":0}]' >/dev/null ||
    fail "droverctl bundles: $(ctl -o json bundles)"
set +e; ctl bundle nope >/dev/null 2>&1; rc=$?; set -e
[ $rc = 4 ] || fail "droverctl bundle nope exited $rc"

summary=$(get /api/v1/summary)
jq -e --arg c "$C1" '.revision.commit == $c and .revision.error == null
       and .agents == {"registered":3,"online":2,"offline":1}
       and .bundles == {"total":2,"healthy":2,"degraded":0}' <<<"$summary" >/dev/null || fail "summary: $summary"
ctl status | grep -q "^Agents: 3 registered, 2 online, 1 offline. Bundles: 2, 2 healthy, 0 degraded.$" ||
    fail "droverctl status headline: $(ctl status | head -3)"
pass "agent and bundle detail, bundles, summary; unknown names exit 4"

# ---- events: list, kinds, live ----------------------------------------------------
events=$(get /api/v1/events)
for kind in token registered deployed; do
    jq -e --arg k "$kind" 'any(.[]; .kind == $k)' <<<"$events" >/dev/null || fail "no $kind event: $events"
done
jq -e '(.[0].id > .[-1].id) and all(.[]; (.time | test("^[0-9-]+T[0-9:.]+Z$")) and (.message | length > 0))' \
    <<<"$events" >/dev/null || fail "events are not newest first with times and messages: $events"
registered=$(get '/api/v1/events?kind=registered&limit=2')
jq -e 'length == 2 and all(.[]; .kind == "registered")' <<<"$registered" >/dev/null || fail "kind=registered: $registered"
[ "$(ctl events --kind registered | tail -n +2 | wc -l)" = 3 ] || fail "droverctl events --kind registered"
pass "events list, newest first, by kind"

"$CTL_BIN" --hub "$HUB_HTTPS" --ca "$CA" --token "$ADMIN" events --follow --kind deployed > "$T/follow.out" \
    2> "$T/follow.log" &
FOLLOW=$!
PIDS+=("$FOLLOW")
wait_for "events --follow prints the recent deployment" 10 grep -q "commit $(cut -c1-12 <<<"$C1") .*deployed" "$T/follow.out"
ctl label gw1 color=blue >/dev/null  # a "labels" event, which --kind deployed leaves out
sed -i 's/"1"/"2"/' "$T/fleet/web/cm.yaml"
C2=$(push_fleet "web v2")
wait_for "the new deployment on events --follow" 10 grep -q "deployed .*commit $(cut -c1-12 <<<"$C2")" "$T/follow.out"
kill -INT "$FOLLOW"
rc=0; wait "$FOLLOW" || rc=$?
[ $rc = 0 ] || fail "events --follow exited $rc on SIGINT: $(cat "$T/follow.log")"
grep -q "labels" "$T/follow.out" && fail "--kind deployed let another kind through: $(cat "$T/follow.out")"
[ "$(tail -n +2 "$T/follow.out" | wc -l)" = 2 ] || fail "events --follow printed: $(cat "$T/follow.out")"
pass "a live event arrives on droverctl events --follow; SIGINT exits 0"

# The stream itself: a replay after since=, then the live messages.
curl -sS -N --cacert "$CA" -H "Authorization: Bearer $ADMIN" -H "Accept: text/event-stream" --max-time 3 \
    "$HUB_HTTPS/api/v1/events?since=0&kind=deployed" > "$T/sse.out" 2>/dev/null || true
grep -q "^retry: " "$T/sse.out" || fail "no retry field in the stream: $(head -5 "$T/sse.out")"
[ "$(grep -c '^event: event$' "$T/sse.out")" = 2 ] || fail "since=0&kind=deployed replays 2 deployments: $(cat "$T/sse.out")"
grep -q "^data: {.*\"kind\":\"deployed\"" "$T/sse.out" || fail "stream data: $(cat "$T/sse.out")"
pass "the event stream replays after since= and filters by kind"

# ---- tokens -----------------------------------------------------------------------
VIEWER=$(ctl token create --viewer 2>/dev/null)
[[ "$VIEWER" == drv_viewer_* ]] || fail "token create --viewer printed '$VIEWER'"
VIEWER_ID=$(ctl -o json token list | jq -r '[.[] | select(.kind == "viewer")][0].id')
ctl token list | grep -q "^$VIEWER_ID   viewer " || fail "token list: $(ctl token list)"
ctl -o json token list | grep -q "$VIEWER" && fail "token list shows a secret"
[ "$(get /api/v1/agents "$VIEWER" | jq .total)" = 3 ] || fail "viewer GET agents"
"$CTL_BIN" --hub "$HUB_HTTPS" --ca "$CA" --token "$VIEWER" bundles | grep -q "^web " || fail "droverctl bundles as viewer"
msg=$(expect_error 403 PATCH /api/v1/agents/gw1/labels "$VIEWER" '{"set":{"a":"b"}}')
grep -q "viewer token may only read" <<<"$msg" || fail "viewer PATCH: $msg"
set +e; "$CTL_BIN" --hub "$HUB_HTTPS" --ca "$CA" --token "$VIEWER" label gw1 a=b 2>"$T/err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "(HTTP 403)" "$T/err" || fail "droverctl label as viewer exited $rc: $(cat "$T/err")"
pass "a viewer token reads, and may not change anything (403)"

[ "$(ctl token revoke "$VIEWER_ID")" = "revoked token $VIEWER_ID" ] || fail "token revoke"
ctl -o json token list | jq -e --arg id "$VIEWER_ID" '.[] | select(.id == $id) | .revoked' >/dev/null ||
    fail "token list does not show the revocation"
msg=$(expect_error 401 GET /api/v1/agents "$VIEWER")
grep -q "revoked" <<<"$msg" || fail "revoked viewer: $msg"
set +e; ctl token revoke tok_nope >/dev/null 2>&1; rc=$?; set -e
[ $rc = 4 ] || fail "revoking an unknown token exited $rc"
pass "token list and revoke; a revoked viewer token gets 401"

PUSH=$(ctl token create --push 2>/dev/null)
msg=$(expect_error 403 GET /api/v1/agents "$PUSH")
grep -q "push tokens are for git" <<<"$msg" || fail "push token on the API: $msg"
pass "a push token gets 403 on the API"

# ---- errors: JSON with a message and the right status -----------------------------
expect_error 401 GET /api/v1/agents - >/dev/null
expect_error 401 GET /api/v1/agents drv_viewer_wrong >/dev/null
msg=$(expect_error 404 GET /api/v1/nope)
grep -q "no such path" <<<"$msg" || fail "unknown path: $msg"
msg=$(expect_error 400 GET '/api/v1/agents?selector=%3D%3D')
set +e; ctl agents -l '==' >/dev/null 2>"$T/err"; rc=$?; set -e
[ $rc = 1 ] && grep -qF -- "$msg" "$T/err" || fail "droverctl agents -l '==' exited $rc: $(cat "$T/err") (hub: $msg)"
msg=$(expect_error 400 GET '/api/v1/agents?state=Sleeping')
grep -q "state must be one of" <<<"$msg" || fail "bad state: $msg"
msg=$(expect_error 405 DELETE /api/v1/agents)
grep -q "use GET" <<<"$msg" || fail "wrong method: $msg"
expect_error 405 POST /api/v1/bundles/web >/dev/null
expect_error 400 PATCH /api/v1/agents/gw1/labels "$ADMIN" '{"set": 5' >/dev/null
pass "401, 403, 404, 400 (bad selector, with its message), 405: all JSON errors"

# ---- the config file --------------------------------------------------------------
mkdir -p "$T/xdg/drover"
echo "$ADMIN" > "$T/xdg/drover/admin.token"
printf '# e2e\nhub = %s\ntoken-file = admin.token\nca = %s\n' "$HUB_HTTPS" "$CA" > "$T/xdg/drover/config"
env -u DROVER_HUB -u DROVER_TOKEN -u DROVER_CA XDG_CONFIG_HOME="$T/xdg" "$CTL_BIN" bundles | grep -q "^web " ||
    fail "droverctl with the config file"
set +e; env -u DROVER_HUB -u DROVER_TOKEN -u DROVER_CA XDG_CONFIG_HOME="$T/xdg" "$CTL_BIN" --token nope bundles \
    >/dev/null 2>"$T/err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "(HTTP 401)" "$T/err" || fail "--token does not win over the config file: $rc $(cat "$T/err")"
pass "hub, token-file and ca from the config file; flags win"

# ---- revoke an agent --------------------------------------------------------------
ctl revoke gw2 | grep -q "^revoked agent gw2" || fail "droverctl revoke gw2"
wait_for "gw2 offline after its revocation" 10 is_online gw2 false
get '/api/v1/events?kind=revoked' | jq -e 'any(.[]; .message | test("gw2"))' >/dev/null || fail "no revoked event for gw2"
# Refused from then on: it keeps retrying and never comes back.
wait_for "gw2 is refused by the hub" 10 grep -q "revoked" "$T/gw2.log"
is_online gw2 false || fail "gw2 came back after its revocation"
ctl agents | grep -qE "^gw2 +revoked [0-9]+[smhd] ago " || fail "droverctl agents: $(ctl agents)"
ctl agent gw2 | grep -q "^Revoked: .*refused by the hub" || fail "droverctl agent gw2: $(ctl agent gw2)"
set +e; ctl revoke ghost >/dev/null 2>&1; rc=$?; set -e
[ $rc = 4 ] || fail "droverctl revoke ghost exited $rc"
pass "droverctl revoke ends an agent's session and the hub refuses it"
