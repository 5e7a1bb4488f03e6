#!/usr/bin/env bash
# Staged rollouts with real agents: a new bundle reaches the canary first and
# the rest only after its soak, one batch at a time in name order; paused:
# true and pause/resume hold a revision back; an agent offline when its turn
# comes is skipped and caught up when it returns; a failing canary halts the
# rollout with the rest on the previous revision, and a hub restart keeps it
# halted; a newer push supersedes the halted rollout; abort takes a revision
# back from the agents that had it; dependsOn orders bundles on an agent.
source "$(dirname "$0")/lib.sh"

start_hub
REG=$(new_token)
start_agent c1 ring=canary
for a in a1 a2 a3; do start_agent "$a" ring=main; done
wait_for "4 agents online" 15 online_is 4

clone_fleet
mkdir -p "$T/fleet/app"
cat > "$T/fleet/app/bundle.yaml" <<'YAML'
targets: [{selector: {}}]
rollout:
  canary: {selector: {matchLabels: {ring: canary}}, soak: 3s}
  batchSize: 1
  progressDeadline: 4s
  offlineGrace: 2s
YAML
# app_version N: write version N of the one ConfigMap.
app_version() {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: default}\ndata: {version: "%s"}\n' "$1" \
        > "$T/fleet/app/cm.yaml"
}
# runs NAME N: the agent has version N of app on disk.
runs() { grep -q "\"version\": \"$2\"" "$T/$1/out/app/configmap.default.app.json" 2>/dev/null; }
rollout() { ctl -o json rollout status app; }
phase_is() { [ "$(rollout | jq -r .phase)" = "$1" ]; }
updated_count() { rollout | jq .progress.updated; }
target_is() { [ "$(rollout | jq -r .target)" = "$1" ]; }

app_version 1
C1=$(push_fleet "app v1")
wait_for "c1 runs v1" 15 runs c1 1
# The canary has it; the rest wait out the soak with nothing.
[ "$(rollout | jq -r .phase)" != complete ] || fail "the rollout completed before the canary's soak"
for a in a1 a2 a3; do runs "$a" 1 && fail "$a got v1 before the canary soaked"; done
wait_for "c1 Ready" 15 is_state c1 app Ready
wait_for "rollout of v1 complete" 30 phase_is complete
wait_for "all Ready at v1" 15 all_ready_at "$C1"
# One batch at a time, in name order: each agent's first Ready at C1 comes
# after the one before it.
order=$(sql "$(hub_db)" "SELECT a.name FROM status_log l JOIN agents a ON a.id = l.agent_id
    WHERE l.bundle = 'app' AND l.state = 'Ready' AND l.revision = '$C1' GROUP BY a.name ORDER BY min(l.time_ms)" | tr '\n' ' ')
[ "$order" = "c1 a1 a2 a3 " ] || fail "agents became Ready in the order $order, not c1 a1 a2 a3"
pass "a new bundle: canary first, then the soak, then batches of one in name order"

# paused: true holds the revision back from everyone; resume lets it go.
sed -i 's/^rollout:/paused: true\nrollout:/' "$T/fleet/app/bundle.yaml"
app_version 2
C2=$(push_fleet "app v2, paused")
wait_for "the v2 rollout is registered" 15 target_is "$C2"
[ "$(rollout | jq .paused)" = true ] || fail "paused: true did not pause the rollout"
sleep 2
for a in c1 a1 a2 a3; do runs "$a" 1 || fail "$a left v1 while the rollout is paused"; done
ctl rollout resume app | grep -q "resumed the rollout of app" || fail "rollout resume"
wait_for "c1 runs v2" 15 runs c1 2
wait_for "a1 runs v2" 30 runs a1 2
ctl rollout pause app > /dev/null
held=$(updated_count)
sleep 3
[ "$(updated_count)" = "$held" ] || fail "a paused rollout updated more agents ($held, then $(updated_count))"
runs a3 1 || fail "a3 left v1 while paused"
ctl rollout status app | grep -q "batches (paused)" || fail "rollout status does not say paused: $(ctl rollout status app)"
ctl rollout resume app > /dev/null
ctl rollout status app --follow > "$T/follow.out" || fail "rollout status --follow did not end with the rollout complete"
tail -n 1 "$T/follow.out" | grep -q "^complete: 4/4 updated" || fail "--follow ended with: $(tail -n 1 "$T/follow.out")"
wait_for "all Ready at v2" 15 all_ready_at "$C2"
pass "paused: true, pause and resume hold and release the revision; --follow ends when it completes"
sed -i '/^paused: true$/d' "$T/fleet/app/bundle.yaml"

# An agent offline when its batch comes is skipped: the rollout goes on
# without it, it shows offline and out of sync, and gets the revision back online.
stop_agent a2
wait_for "a2 offline" 15 is_online a2 false
app_version 3
C3=$(push_fleet "app v3")
wait_for "the v3 rollout is registered" 15 target_is "$C3"
wait_for "rollout of v3 complete without a2" 40 phase_is complete
runs a2 2 || fail "a2 changed while offline"
[ "$(status_json | jq -r '.agents[] | select(.name=="a2") | .bundles[] | select(.bundle=="app") | .out_of_sync')" = true ] ||
    fail "offline a2 does not show out of sync: $(status_json | jq -c ".agents[] | select(.name==\"a2\")")"
ctl agent a2 | grep -q "offline since" || fail "droverctl agent a2 does not say offline since"
start_agent a2 ring=main
wait_for "a2 runs v3 after coming back" 15 runs a2 3
wait_for "all Ready at v3" 15 all_ready_at "$C3"
pass "an offline agent is skipped, shown offline and OutOfSync, and caught up on return"

# A failing canary halts the rollout; the rest stay on v3, also across a restart.
rm -rf "$T/c1/out/app" && echo "not a directory" > "$T/c1/out/app"
app_version 4
C4=$(push_fleet "app v4")
wait_for "the v4 rollout halts" 30 phase_is halted
rollout | jq -r .reason | grep -q "1 agent failed, more than failureThreshold 0: c1 Failed after 4 s" ||
    fail "halt reason: $(rollout | jq -r .reason)"
for a in a1 a2 a3; do runs "$a" 3 || fail "$a left v3 although the canary failed"; done
ctl -o json events --kind rollout | jq -r '.[].message' | grep -q "app to ${C4:0:12}: halted: 1 agent failed" ||
    fail "no halted event"
refused=$(ctl rollout pause app 2>&1) && fail "pausing a halted rollout succeeded"
grep -q "halted (1 agent failed" <<< "$refused" || fail "pausing a halted rollout: $refused"
stop_hub
restart_hub
wait_for "hub back with the halted rollout" 15 phase_is halted
wait_for "agents back" 15 online_is 4
sleep 2
for a in a1 a2 a3; do runs "$a" 3 || fail "$a left v3 after the hub restarted"; done
pass "a failing canary halts the rollout, the rest keep v3, and a restart keeps it halted"

# A newer push supersedes the halted rollout: the canary first again.
rm -f "$T/c1/out/app"
app_version 5
C5=$(push_fleet "app v5")
wait_for "the v5 rollout is registered" 15 target_is "$C5"
wait_for "c1 runs v5" 15 runs c1 5
wait_for "rollout of v5 complete" 40 phase_is complete
wait_for "all Ready at v5" 15 all_ready_at "$C5"
[ "$(rollout | jq -r .from)" = "$C3" ] || fail "the superseding rollout should start from v3, not $(rollout | jq -r .from)"
pass "a newer push supersedes a halted rollout and completes"

# Abort gives the canary the previous revision back.
sed -i 's/soak: 3s/soak: 1h/' "$T/fleet/app/bundle.yaml"
app_version 6
C6=$(push_fleet "app v6")
wait_for "c1 runs v6" 15 runs c1 6
wait_for "the v6 canary soaks" 15 phase_is soaking
ctl rollout abort app | grep -q "aborted the rollout of app" || fail "rollout abort"
wait_for "c1 back on v5" 15 runs c1 5
[ "$(rollout | jq -r .phase)" = aborted ] || fail "phase after abort: $(rollout | jq -r .phase)"
for a in a1 a2 a3; do runs "$a" 5 || fail "$a left v5"; done
refused=$(ctl rollout abort app 2>&1) && fail "a second abort succeeded"
grep -q "is aborted: there is nothing to abort" <<< "$refused" || fail "a second abort: $refused"
rc=0; ctl rollout status nosuch > /dev/null 2>&1 || rc=$?
[ $rc -eq 4 ] || fail "rollout status of a bundle without a rollout: exit $rc, not 4"
pass "abort returns the canary to v5; the rest never left it"

# dependsOn: on each agent app waits until db is Ready there, shown as
# WaitingForDependency (never an error); a commit without a rollout policy
# ends the rollout and goes everywhere at once; a cycle is refused at push.
rm -rf "$T/a1/out/db" && echo "not a directory" > "$T/a1/out/db"  # a1 cannot apply db
mkdir -p "$T/fleet/db"
printf 'targets: [{selector: {}}]\n' > "$T/fleet/db/bundle.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db, namespace: default}\ndata: {v: "1"}\n' \
    > "$T/fleet/db/cm.yaml"
printf 'targets: [{selector: {}}]\ndependsOn: [db]\n' > "$T/fleet/app/bundle.yaml"
app_version 7
C7=$(push_fleet "db, and app after it, without a rollout")
for a in c1 a2 a3; do wait_for "$a runs app v7" 20 runs "$a" 7; done
wait_for "db Failed on a1" 20 is_state a1 db Failed
wait_for "app waits for db on a1" 20 is_state a1 app WaitingForDependency
runs a1 5 || fail "a1 replaced app v5 although db is not Ready there"
rc=0; ctl rollout status app > /dev/null 2>&1 || rc=$?
[ $rc -eq 4 ] || fail "app should have no rollout once its policy is gone (exit $rc)"
rm -f "$T/a1/out/db"
wait_for "a1 runs app v7 once db is Ready there" 30 runs a1 7
wait_for "all Ready at v7" 20 all_ready_at "$C7"

PUSH=$(ctl token create --push)
printf 'targets: [{selector: {}}]\ndependsOn: [app]\n' > "$T/fleet/db/bundle.yaml"
git -C "$T/fleet" commit -qam "db depends on app: a cycle"
out=$(hub_git -C "$T/fleet" push "$(hub_url "$PUSH")" HEAD:main 2>&1) && fail "a dependsOn cycle was accepted: $out"
grep -q "app -> db -> app\|db -> app -> db" <<< "$out" || fail "the refusal does not name the cycle: $out"
pass "dependsOn: app waits for db per agent (WaitingForDependency); a cycle is refused at push"
