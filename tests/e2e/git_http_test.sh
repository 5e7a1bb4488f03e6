#!/usr/bin/env bash
# The hub as a Git remote over smart HTTP, driven by the real git CLI:
# credentials, clone of an empty repository, a push that agents converge on,
# a push refused for an invalid bundle (exact text, nothing moves), a fetch
# of only what is new, a push of more than 50 MiB, two pushes racing, the
# deploy branch protected against deletion and rewrites, and rollback by
# git revert.
source "$(dirname "$0")/lib.sh"

start_hub
PUSH=$(ctl token create --push)
[[ "$PUSH" == drv_push_* ]] || fail "token create --push printed '$PUSH'"
REG=$(new_token)

# ---- credentials -------------------------------------------------------------
out=$(hub_git clone -q "https://127.0.0.1:$PORT/git/fleet.git" "$T/nocreds" 2>&1) && fail "clone without credentials worked"
grep -q "could not read Username\|Authentication failed" <<<"$out" || fail "clone without credentials: $out"
out=$(hub_git clone -q "$(hub_url drv_push_wrong)" "$T/wrong" 2>&1) && fail "clone with a wrong token worked"
grep -q "Authentication failed" <<<"$out" || fail "wrong token: $out"
grep -q "push token is not known to this hub" <<<"$out" || fail "wrong token gives no reason: $out"
out=$(hub_git clone -q "$(hub_url "$REG")" "$T/reg" 2>&1) && fail "a registration token could clone"
pass "missing, wrong and registration tokens are refused"

out=$(hub_git clone "$(hub_url "$PUSH")" "$T/fleet" 2>&1) || fail "clone of the empty repository: $out"
grep -q "cloned an empty repository" <<<"$out" || fail "clone of the empty repository said: $out"
pass "a push token clones the empty repository"

# ---- a push agents converge on ------------------------------------------------
start_agent a1 role=gateway
start_agent a2 role=sensor
wait_for "2 agents online" 15 online_is 2
write_app_bundle
hub_git -C "$T/fleet" add -A
hub_git -C "$T/fleet" commit -q -m "app bundle"
out=$(hub_git -C "$T/fleet" push origin HEAD:main 2>&1) || fail "first push: $out"
grep -q "remote: app: new bundle, 2 agents to update, 0 unchanged" <<<"$out" || fail "push summary: $out"
GOOD=$(hub_git -C "$T/fleet" rev-parse HEAD)
# ready_at N1 N2 COMMIT: a1 runs N1 bundles and a2 N2, all Ready at COMMIT.
ready_at() { agent_ready_at a1 "$1" "$3" && agent_ready_at a2 "$2" "$3"; }
wait_for "both agents Ready at the pushed commit" 20 ready_at 1 1 "$GOOD"
[ "$(ctl -o json status | jq -r .revision.commit)" = "$GOOD" ] || fail "hub does not serve $GOOD"
pass "a push over HTTPS reaches both agents (summary: 2 agents to update)"

# ---- an invalid bundle is refused at push time ----------------------------------
mkdir -p "$T/fleet/web"
cat > "$T/fleet/web/bundle.yaml" <<'YAML'
# web: gateways only
namespace: web
targets:
  - selector:
      matchExpressions:
        - key: role
          operator: Inn
          values: [gateway]
YAML
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n' > "$T/fleet/web/cm.yaml"
hub_git -C "$T/fleet" add -A
hub_git -C "$T/fleet" commit -q -m "web, with a typo"
out=$(hub_git -C "$T/fleet" push origin HEAD:main 2>&1) && fail "the invalid push was accepted: $out"
grep -qF 'remote: web/bundle.yaml:7: targets[0].selector.matchExpressions[0].operator: unknown operator "Inn"' <<<"$out" \
    || fail "rejection does not name file, line and reason: $out"
grep -qF '! [remote rejected] HEAD -> main (invalid bundles)' <<<"$out" || fail "no [remote rejected] line: $out"
[ "$(hub_git ls-remote "$(hub_url "$PUSH")" refs/heads/main | cut -f1)" = "$GOOD" ] || fail "the ref moved"
[ -z "$(ls -d "$T"/hub/fleet.git/objects/incoming-* 2>/dev/null)" ] || fail "a quarantine was left behind"
hub_git -C "$T/hub/fleet.git" cat-file -e "$(hub_git -C "$T/fleet" rev-parse HEAD)" 2>/dev/null \
    && fail "the refused commit is in the hub's repository"
ready_at 1 1 "$GOOD" || fail "agents moved after a refused push"
ctl -o json status | jq -e '.revision.error == null' >/dev/null || fail "a refused push left a revision error"
pass "an invalid bundle is refused with file, line and reason; nothing moved"

# Fix it with a follow-up commit: every new commit must render, so the
# broken one has to be amended away.
sed -i 's/operator: Inn/operator: In/' "$T/fleet/web/bundle.yaml"
hub_git -C "$T/fleet" commit -q -a --amend -m "web for gateways"
out=$(hub_git -C "$T/fleet" push origin HEAD:main 2>&1) || fail "fixed push: $out"
grep -q "remote: web: new bundle, 1 agent to update, 0 unchanged" <<<"$out" || fail "fixed push summary: $out"
grep -q "remote: 1 bundle unchanged" <<<"$out" || fail "fixed push summary: $out"
WEB=$(hub_git -C "$T/fleet" rev-parse HEAD)
wait_for "agents Ready at the web commit" 20 ready_at 2 1 "$WEB"
pass "the fixed push deploys (web: 1 agent to update, app unchanged)"

# ---- fetch sends only what is new ---------------------------------------------
clone_http other "$PUSH"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app2, namespace: default}\n' > "$T/other/app/cm2.yaml"
hub_git -C "$T/other" add -A
hub_git -C "$T/other" commit -q -m "second configmap"
hub_git -C "$T/other" push -q origin HEAD:main 2>/dev/null || fail "push from the second clone"
SECOND=$(hub_git -C "$T/other" rev-parse HEAD)
# Tags other than the deploy branch are stored without validation; fetching
# 30 of them makes a request of over 1 KiB of wants, which git gzips.
for i in $(seq 1 30); do hub_git -C "$T/other" tag "v$i"; done
hub_git -C "$T/other" push -q origin --tags 2>/dev/null || fail "pushing tags"
out=$(GIT_TRACE_CURL=1 GIT_TRACE_CURL_NO_DATA=1 hub_git -C "$T/fleet" fetch --tags --progress origin 2>&1) || fail "fetch: $out"
grep -qi "Send header: Content-Encoding: gzip" <<<"$out" || fail "the fetch request was not gzipped (test does not cover gzip)"
total=$(grep -o 'Total [0-9]* objects' <<<"$out" | grep -o '[0-9]*' | tail -1)
[ -n "$total" ] && [ "$total" -le 4 ] || fail "fetch after one new commit sent ${total:-?} objects: $out"
[ "$(hub_git -C "$T/fleet" rev-parse origin/main)" = "$(hub_git -C "$T/other" rev-parse HEAD)" ] || fail "fetch missed the commit"
[ "$(hub_git -C "$T/fleet" tag | wc -l)" = 30 ] || fail "fetch missed tags"
hub_git -C "$T/fleet" merge -q --ff-only origin/main
pass "a gzipped fetch after another clone pushed sends only the new objects ($total)"

# ---- a push of more than 50 MiB --------------------------------------------------
mkdir -p "$T/fleet/assets"
head -c $((52 * 1024 * 1024)) /dev/urandom > "$T/fleet/assets/firmware.bin"
hub_git -C "$T/fleet" add -A
hub_git -C "$T/fleet" commit -q -m "firmware image"
out=$(GIT_TRACE_CURL=1 GIT_TRACE_CURL_NO_DATA=1 hub_git -C "$T/fleet" push origin HEAD:main 2>&1) || {
    echo "$out" > "$T/big-push.log"  # git's HTTP trace, kept in the work dir for a post-mortem
    fail "52 MiB push: $(grep -v '^[0-9:.]* http.c' <<<"$out")"
}
grep -qi "Send header: Transfer-Encoding: chunked" <<<"$out" || fail "the 52 MiB push was not chunked (test does not cover chunked bodies)"
grep -qi "Send header: Content-Length: 4$" <<<"$out" || fail "git sent no probe before the 52 MiB push"
BIG=$(hub_git -C "$T/fleet" rev-parse HEAD)
clone_http big "$PUSH"
cmp -s "$T/fleet/assets/firmware.bin" "$T/big/assets/firmware.bin" || fail "the 52 MiB file did not survive the round trip"
wait_for "agents Ready at the big commit" 20 ready_at 2 1 "$BIG"
rm -rf "$T/big"
pass "a 52 MiB push (probe, then a chunked body) is accepted, deployed and cloned back intact"

# ---- two pushes race -----------------------------------------------------------
hub_git -C "$T/other" pull -q origin main
printf 'x: 1\n' > "$T/fleet/notes-a.yaml"; hub_git -C "$T/fleet" add -A; hub_git -C "$T/fleet" commit -q -m race-a
printf 'x: 2\n' > "$T/other/notes-b.yaml"; hub_git -C "$T/other" add -A; hub_git -C "$T/other" commit -q -m race-b
hub_git -C "$T/fleet" push origin HEAD:main > "$T/race-a.out" 2>&1 & ra=$!
hub_git -C "$T/other" push origin HEAD:main > "$T/race-b.out" 2>&1 & rb=$!
sa=0; sb=0; wait $ra || sa=$?; wait $rb || sb=$?
[ $((sa == 0)) -ne $((sb == 0)) ] || fail "racing pushes: exit codes $sa and $sb (want exactly one success)"
loser=$([ $sa -ne 0 ] && echo "$T/race-a.out" || echo "$T/race-b.out")
grep -qE "fetch first|ref moved since you fetched" "$loser" || fail "the losing push was not told the ref moved: $(cat "$loser")"
pass "two racing pushes: one wins, the other is told its ref moved"

# ---- the deploy branch is protected -----------------------------------------------
hub_git -C "$T/fleet" fetch -q origin && hub_git -C "$T/fleet" reset -q --hard origin/main
HEAD_NOW=$(hub_git -C "$T/fleet" rev-parse HEAD)
out=$(hub_git -C "$T/fleet" push origin :main 2>&1) && fail "deleting main worked"
grep -qF "(the deploy branch cannot be deleted)" <<<"$out" || fail "delete refusal: $out"
out=$(hub_git -C "$T/fleet" push --force origin "$GOOD:main" 2>&1) && fail "a non-fast-forward push worked"
grep -qF "non-fast-forward" <<<"$out" || fail "force-push refusal: $out"
[ "$(hub_git ls-remote "$(hub_url "$PUSH")" refs/heads/main | cut -f1)" = "$HEAD_NOW" ] || fail "main moved"
hub_git -C "$T/fleet" push -q origin HEAD:refs/heads/feature 2>/dev/null || fail "pushing a feature branch"
hub_git -C "$T/fleet" push -q origin :feature 2>/dev/null || fail "deleting a feature branch"
pass "main cannot be deleted or rewritten; other branches can"

# ---- rollback is git revert -----------------------------------------------------
hub_git -C "$T/fleet" revert --no-edit "$WEB" -q 2>/dev/null || hub_git -C "$T/fleet" revert --no-edit "$WEB"
out=$(hub_git -C "$T/fleet" push origin HEAD:main 2>&1) || fail "revert push: $out"
grep -q "remote: web: removed, 1 agent to clean up" <<<"$out" || fail "revert summary: $out"
REVERT=$(hub_git -C "$T/fleet" rev-parse HEAD)
wait_for "web removed from a1" 20 ready_at 1 1 "$(hub_git -C "$T/fleet" rev-parse HEAD)"
ctl bundles | grep -q "^app  *$(cut -c1-12 <<<"$SECOND")" || fail "droverctl bundles does not show app at its commit: $(ctl bundles)"
ctl -o json status | jq -e --arg c "$REVERT" '.revision.commit == $c' >/dev/null || fail "hub not at the revert"
pass "git revert + push rolls web back; droverctl bundles shows each bundle's commit"
