#!/usr/bin/env bash
# Crash safety: kill -9 of an agent mid-download, mid-apply and mid-SQLite
# write, and of the hub while agents report. Every kill leaves a database
# that passes PRAGMA integrity_check, a restart converges on the latest
# revision, no status is lost (the hub's status_log has no seq gap), and
# registrations survive.
#
# The kill delays are random and printed with each kill. To run a failed
# sequence again: CRASH_DELAYS="ms ms ..." (the 8 agent kills, then the hub
# kill), as printed after "replay with".
source "$(dirname "$0")/lib.sh"

read -r -a REPLAY <<<"${CRASH_DELAYS:-}"
USED=()
# next_delay BOUND: sets DELAY (ms) to the next replayed delay, else to a
# random one below BOUND.
next_delay() {
    if [ ${#REPLAY[@]} -gt 0 ]; then
        DELAY=${REPLAY[0]}
        REPLAY=("${REPLAY[@]:1}")
    else
        DELAY=$((RANDOM % $1))
    fi
    USED+=("$DELAY")
}

# poll_fast DESCRIPTION TIMEOUT COMMAND...: wait_for at 10 ms steps, for
# triggers whose moment matters.
poll_fast() {
    local what=$1 timeout=$2; shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "timed out after ${timeout}s waiting for: $what"
        sleep 0.01
    done
}
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
stored_revision_is() {  # NAME BUNDLE COMMIT: the agent stored COMMIT as BUNDLE's desired revision
    [ "$(sql "$(cache_db "$1")" "SELECT revision FROM desired WHERE bundle = '$2'")" = "$3" ]
}
proxy_stat() { proxy_cmd stats | sed 's/^ok //' | jq -r ".$1"; }
proxy_idle() { [ "$(proxy_stat open)" = 0 ]; }
drained_and_complete() {
    local name
    for name in "$@"; do
        wait_for "$name's outbox drained to the hub" 30 outbox_empty "$name"
        assert_status_log_complete "$name"
    done
}

start_hub
REG=$(new_token)
clone_fleet

# ---- 1. mid-download -------------------------------------------------------
# 20 MiB of incompressible ConfigMap data (about 15 MiB deflated) through a
# 2 MiB/s link: several seconds of download to interrupt. Five JSON files
# of 4 MiB: the hub reads JSON manifests much faster than YAML.
start_chaosproxy "$PORT" --rate 2MiB
HUB_WSS="wss://127.0.0.1:$PROXY_PORT" start_agent d1 role=bulk
wait_for "d1 online through the proxy" 15 is_online d1 true
mkdir -p "$T/fleet/bulk"
printf 'namespace: bulk\ntargets: [{selector: {matchLabels: {role: bulk}}}]\n' > "$T/fleet/bulk/bundle.yaml"
for i in 1 2 3 4 5; do
    head -c $((3 << 20)) /dev/urandom | base64 -w 0 > "$T/blob-$i.b64"
    { printf '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "blob-%d"}, "data": {"blob": "' "$i"
      cat "$T/blob-$i.b64"
      printf '"}}\n'; } > "$T/fleet/bulk/blob-$i.json"
done
CB=$(push_fleet "bulk: 20 MiB of ConfigMaps")
partial_bytes() { sql "$(cache_db d1)" 'SELECT coalesce(sum(length(data)), 0) FROM partial'; }
partial_at_least() { [ "$(partial_bytes)" -ge "$1" ]; }
wait_for "2 MiB of the bulk spec stored in d1's partial table" 30 partial_at_least $((2 << 20))
kill9_agent d1
assert_integrity "$(cache_db d1)"
IFS='|' read -r DIGEST SIZE <<<"$(sql "$(cache_db d1)" "SELECT lower(hex(digest)), size FROM desired WHERE bundle = 'bulk'")"
STORED=$(partial_bytes)
[ "$(sql "$(cache_db d1)" "SELECT count(*) FROM content WHERE digest = x'$DIGEST'")" = 0 ] ||
    fail "the bulk spec was complete before the kill; nothing was interrupted"
[ "$(sql "$(cache_db d1)" "SELECT min(offset) = 0 AND max(offset + length(data)) = sum(length(data))
    FROM partial WHERE digest = x'$DIGEST'")" = 1 ] || fail "d1's partial download is not contiguous from byte 0"
[ "$STORED" -lt "$SIZE" ] || fail "partial holds $STORED bytes of a $SIZE-byte spec"
echo "d1 killed with $STORED of $SIZE compressed bytes of ${DIGEST:0:12} stored"
wait_for "the proxy saw d1's link close" 10 proxy_idle
DOWN0=$(proxy_stat bytes_down)
HUB_WSS="wss://127.0.0.1:$PROXY_PORT" start_agent d1 role=bulk
wait_for "d1 resuming from byte $STORED" 15 \
    grep -qE "(resuming the download of|fetching) spec ${DIGEST:0:12} from byte $STORED( |$)" "$T/d1.log"
proxy_cmd rate off >/dev/null  # the resume is proven; the rest need not crawl
wait_for "d1 Ready at $CB" 60 agent_ready_at d1 1 "$CB"
DOWN=$(($(proxy_stat bytes_down) - DOWN0))
# What came down after the restart: the rest of the spec plus framing, TLS
# and the session's small frames; a download from 0 would need $SIZE.
[ "$DOWN" -ge $((SIZE - STORED)) ] && [ "$DOWN" -lt $((SIZE - STORED + (1 << 20))) ] ||
    fail "after the restart $DOWN bytes came down for the $((SIZE - STORED)) missing; the download did not resume"
! grep -q "discarding the partial download" "$T/d1.log" || fail "d1 discarded its partial download"
for i in 1 2 3 4 5; do
    jq -j .data.blob "$T/d1/out/bulk/configmap.bulk.blob-$i.json" | cmp -s - "$T/blob-$i.b64" ||
        fail "d1 applied blob-$i with other data than was pushed"
done
drained_and_complete d1
pass "kill -9 mid-download: the restart resumed from byte $STORED and converged"
# The hub re-renders every bundle on each push: 20 MiB less makes the
# pushes below cheap.
git -C "$T/fleet" rm -q -r bulk
push_fleet "bulk removed" >/dev/null
wait_for "bulk pruned from d1" 20 test ! -e "$T/d1/out/bulk"
wait_for "bulk gone from d1's status" 10 has_no_bundle d1 bulk

# ---- 2. mid-apply and mid-SQLite-write -----------------------------------
# Each revision rewrites 200 ConfigMaps and swaps one (a-only-N, first in
# apply order) for another: each apply writes 201 files with fsync and
# prunes one, and an apply killed after writing a-only-N must not leave it
# behind once a later revision is applied. The kill lands at a random point
# of a window measured on the first revision (twice the time from storing a
# desired set to Ready, as a restarted agent may first finish the previous
# revision): during the fetch, the content write, the apply, the
# applied-record and outbox transactions, or the status exchange.
many_revision() {
    local rev=$1 j
    rm -f "$T/fleet/many/"*.yaml
    printf 'namespace: many\ntargets: [{selector: {matchLabels: {role: many}}}]\n' > "$T/fleet/many/bundle.yaml"
    for j in $(seq -w 0 199); do
        printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%s}\ndata: {rev: "%s", j: "%s"}\n' "$j" "$rev" "$j"
    done > "$T/fleet/many/cms.yaml"
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a-only-%s}\ndata: {rev: "%s"}\n' "$rev" "$rev" \
        > "$T/fleet/many/only.yaml"
}
now_ms() { date +%s%3N; }
applied_ready_at() {  # NAME BUNDLE COMMIT
    [ "$(sql "$(cache_db "$1")" "SELECT state || ' ' || revision FROM applied WHERE bundle = '$2'")" = "Ready $3" ]
}
MANY_ARGS=(m1 role=many --drift-interval 1s)
start_agent "${MANY_ARGS[@]}"
wait_for "m1 online" 15 is_online m1 true
mkdir -p "$T/fleet/many"
many_revision 0
CM=$(push_fleet "many r0")
poll_fast "m1 stored r0" 20 stored_revision_is m1 many "$CM"
t0=$(now_ms)
poll_fast "m1 applied r0" 20 applied_ready_at m1 many "$CM"
took=$(($(now_ms) - t0))
WINDOW=$((2 * took + 20))
echo "m1 took $took ms from storing r0 to Ready; kills land 0..$((WINDOW - 1)) ms after it stores a revision"
wait_for "m1 Ready at r0" 20 agent_ready_at m1 1 "$CM"
ROUNDS=8
for i in $(seq 1 $ROUNDS); do
    many_revision "$i"
    CM=$(push_fleet "many r$i")
    poll_fast "m1 stored r$i" 20 stored_revision_is m1 many "$CM"
    next_delay "$WINDOW"
    sleep_ms "$DELAY"
    kill9_agent m1
    echo "iteration $i: kill -9 m1 $DELAY ms after it stored r$i (${CM:0:12}); replay with CRASH_DELAYS=\"${USED[*]}\""
    echo "    its last log line: $(tail -n 1 "$T/m1.log")"
    assert_integrity "$(cache_db m1)"
    start_agent "${MANY_ARGS[@]}"
done
wait_for "m1 Ready at r$ROUNDS" 30 agent_ready_at m1 1 "$CM"
ls "$T/m1/out/many" > "$T/many-files.txt"
{ for j in $(seq -w 0 199); do echo "configmap.many.cm-$j.json"; done; echo "configmap.many.a-only-$ROUNDS.json"; } |
    LC_ALL=C sort > "$T/many-expected.txt"
LC_ALL=C sort -o "$T/many-files.txt" "$T/many-files.txt"
diff "$T/many-expected.txt" "$T/many-files.txt" >&2 || fail "m1's files are not exactly r$ROUNDS's objects (diff above)"
stale=$(grep -L "\"rev\": \"$ROUNDS\"" "$T/m1/out/many/"*.json || true)
[ -z "$stale" ] || fail "objects not at r$ROUNDS: $stale"
drained_and_complete m1
pass "$ROUNDS kills mid-apply: caches intact, m1 converged on r$ROUNDS with exactly its objects"

# ---- 3. hub kill -9 while three agents report ----------------------------
common_revision() {
    local rev=$1 j
    mkdir -p "$T/fleet/common"
    printf 'namespace: common\ntargets: [{selector: {}}]\n' > "$T/fleet/common/bundle.yaml"
    for j in $(seq -w 0 19); do
        printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-%s}\ndata: {rev: "%s"}\n' "$j" "$rev"
    done > "$T/fleet/common/cms.yaml"
}
start_agent h1 role=edge
common_revision 1
CC=$(push_fleet "common r1")
wait_for "d1 Ready at common r1" 30 agent_ready_at d1 1 "$CC"
wait_for "m1 Ready at common r1" 30 agent_ready_at m1 2 "$CC"
wait_for "h1 Ready at common r1" 30 agent_ready_at h1 1 "$CC"
registrations() { ctl -o json agents | jq -c '[.[] | {id, name}] | sort_by(.name)'; }
BEFORE=$(registrations)
[ "$(echo "$BEFORE" | jq length)" = 3 ] || fail "expected 3 agents: $BEFORE"

# The kill lands 0-299 ms after all three agents hold common r2's spec:
# while they apply it, report, and the hub stores and acknowledges. (Not
# earlier: a restarted hub ignores a fetch that arrives before it has
# re-rendered its deployed revision and never answers it, so an agent that
# had not fetched yet would wait forever: a hub bug of its own, in
# AgentSession::handle_fetch while the deployment is pending.)
fetched() {  # NAME BUNDLE COMMIT: the agent holds the spec it was sent for COMMIT
    [ "$(sql "$(cache_db "$1")" "SELECT count(*) FROM desired JOIN content USING (digest)
        WHERE bundle = '$2' AND revision = '$3'")" = 1 ]
}
common_revision 2
CC=$(push_fleet "common r2")
for a in d1 m1 h1; do poll_fast "$a holding common r2" 20 fetched "$a" common "$CC"; done
next_delay 300
sleep_ms "$DELAY"
kill9_hub
echo "hub kill -9 $DELAY ms after the agents fetched common r2 (${CC:0:12}); replay with CRASH_DELAYS=\"${USED[*]}\""
assert_integrity "$(hub_db)"
restart_hub_ready
wait_for "3 agents online again" 30 online_is 3
wait_for "d1 Ready at common r2" 30 agent_ready_at d1 1 "$CC"
wait_for "m1 Ready at common r2" 30 agent_ready_at m1 2 "$CC"
wait_for "h1 Ready at common r2" 30 agent_ready_at h1 1 "$CC"
[ "$(registrations)" = "$BEFORE" ] || fail "registrations changed across the hub crash: $BEFORE -> $(registrations)"
for a in d1 m1 h1; do
    [ "$(echo "$BEFORE" | jq -r --arg n "$a" '.[] | select(.name == $n) | .id')" = "$(agent_id_of "$a")" ] ||
        fail "$a's cached identity differs from its registration"
done
drained_and_complete d1 m1 h1
pass "hub kill -9: store intact, registrations kept, every agent reconverged with no status lost"
