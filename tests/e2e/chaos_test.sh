#!/usr/bin/env bash
# 50 agents (fleetsim) behind chaosproxy: links cut every 1-4 s and stalled
# now and then while 20 revisions are pushed. After the chaos stops every
# agent runs the last revision, and the hub holds every status event every
# agent emitted: no gaps, nothing lost, nothing twice.
source "$(dirname "$0")/lib.sh"
SIM_BIN="$DROVER_BUILD/tools/fleetsim/fleetsim"
N=50
PUSHES=20

# fleetsim registers its agents from one address at once.
HUB_FLAGS="--limit registrations-per-minute=0"
start_hub
stop_hub
restart_hub --idle-timeout 3s
clone_fleet
write_revision() {  # write_revision I: two bundles whose content changes with I
    mkdir -p "$T/fleet/web" "$T/fleet/db"
    printf 'targets: [{selector: {matchLabels: {role: sim}}}]\nnamespace: web\n' > "$T/fleet/web/bundle.yaml"
    printf 'targets: [{selector: {}}]\nnamespace: db\n' > "$T/fleet/db/bundle.yaml"
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {rev: "%s"}\n' "$1" > "$T/fleet/web/cm.yaml"
    # db changes every third revision only: some pushes leave it alone.
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\ndata: {rev: "%s"}\n' $(($1 / 3)) > "$T/fleet/db/cm.yaml"
}
write_revision 0
push_fleet "revision 0" > /dev/null
REG=$(new_token --uses $N)

SEED=${CHAOS_SEED:-$RANDOM}
echo "chaos seed $SEED (set CHAOS_SEED to replay)"
start_chaosproxy "$PORT" --seed "$SEED" --cut-every 1s..4s --stall-every 3s..10s --stall-for 1s..4s

LSAN_OPTIONS="suppressions=$DROVER_SOURCE/tools/fleetsim/lsan.supp" \
"$SIM_BIN" --hub "wss://127.0.0.1:$PROXY_PORT" --ca "$T/hub/tls/ca.pem" --token "$REG" --agents $N \
    --labels role=sim --backoff-base 100ms --backoff-cap 1s --heartbeat 500ms --idle-timeout 2s \
    --progress 250ms --report "$T/report.json" > "$T/fleetsim.out" 2> "$T/fleetsim.log" &
SIM_PID=$!
PIDS+=($SIM_PID)

for i in $(seq 1 $PUSHES); do
    write_revision "$i"
    LAST=$(push_fleet "revision $i")
    sleep 0.7
done
echo "pushed $PUSHES revisions under chaos; last $LAST"
proxy_cmd stats

proxy_cmd chaos off > /dev/null
proxy_cmd resume > /dev/null
settled_at_last() {
    # (jq 1.6's -e succeeds on empty input: match the word instead)
    tail -n 1 "$T/fleetsim.out" | jq --arg c "$LAST" --argjson n $N '.settled == $n and .revisions[$c] == $n' |
        grep -qx true
}
wait_for "all $N agents settled at the last revision after the chaos" 60 settled_at_last
tail -n 1 "$T/fleetsim.out"
CUTS=$(proxy_cmd stats | sed 's/^ok //' | jq .cut)
[ "$CUTS" -ge 10 ] || fail "the chaos was too mild to mean anything: $CUTS cuts"
pass "all $N agents run the last revision ($CUTS connections were cut)"

kill -TERM $SIM_PID
wait $SIM_PID || fail "fleetsim exited with an error"
[ "$(jq length "$T/report.json")" = $N ] || fail "report lists $(jq length "$T/report.json") agents"

# Every status event each agent emitted is in the hub's history once, in seq order.
jq -r '.[] | "\(.agent_id) \(.last_seq)"' "$T/report.json" | while read -r id last; do
    [ "$last" -ge 2 ] || fail "agent $id emitted only $last statuses"
    IFS='|' read -r count lo hi acked <<< "$(sql "$(hub_db)" \
        "select count(*), min(seq), max(seq), (select acked_seq from agents where id='$id') from status_log where agent_id='$id'")"
    [ "$count $lo $hi $acked" = "$last 1 $last $last" ] ||
        fail "agent $id emitted seq 1..$last; hub holds $count events, seq $lo..$hi, acked $acked"
done
pass "the hub holds every status event of every agent, without gaps"
