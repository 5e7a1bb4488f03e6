#!/usr/bin/env bash
# Offline autonomy: with the hub gone, an agent keeps healing drift from its
# cache, a restarted agent (a rebooted device whose workload dir was lost)
# re-applies everything from its cache, a clean restart re-applies nothing,
# and every status queued meanwhile reaches the hub, complete and in order,
# once the hub is back.
source "$(dirname "$0")/lib.sh"

# outbox_states NAME BUNDLE AFTER_SEQ: the states queued for BUNDLE after
# AFTER_SEQ, in seq order ("Modified,Applying,Ready").
outbox_states() {
    sql "$(cache_db "$1")" "SELECT coalesce(group_concat(state, ','), '') FROM
        (SELECT state FROM outbox WHERE bundle = '$2' AND seq > $3 ORDER BY seq)"
}
outbox_states_are() { [ "$(outbox_states "$1" "$2" "$3")" = "$4" ]; }
healed_into_outbox() { outbox_states_are a1 "$1" "$2" "Modified,Applying,Ready"; }
same_tree() { diff -r "$1" "$2"; }

start_hub
REG=$(new_token)
AGENT_ARGS=(a1 role=gateway,region=eu-west --drift-interval 300ms)
start_agent "${AGENT_ARGS[@]}"
clone_fleet
cp -r "$DROVER_SOURCE/bundles/." "$T/fleet/"
C1=$(push_fleet "example bundles")
wait_for "a1 runs infra, monitoring and web, Ready at $C1" 20 agent_ready_at a1 3 "$C1"
wait_for "a1's outbox acknowledged" 10 outbox_empty a1
cp -a "$T/a1/out" "$T/expected"
WEB_FILE=web/deployment.web.nginx.json
INFRA_FILE=$(cd "$T/expected" && ls infra/* | head -n 1)
[ -f "$T/expected/$WEB_FILE" ] && [ -n "$INFRA_FILE" ] || fail "unexpected object files: $(cd "$T/expected" && ls -R)"
pass "a1 converged on the example bundles"

stop_hub  # SIGTERM, and waits: no Ack can arrive after this
SEQ0=$(issued_seq a1)
OUTBOX0=$(outbox_count a1)

# Drift while offline: an edited file and a deleted file are restored from
# the cache, and the statuses saying so queue in the outbox.
echo '{"tampered": 1}' > "$T/a1/out/$WEB_FILE"
wait_for "edited web object restored" 10 cmp -s "$T/expected/$WEB_FILE" "$T/a1/out/$WEB_FILE"
wait_for "web Modified, Applying, Ready queued" 10 healed_into_outbox web "$SEQ0"
rm "$T/a1/out/$INFRA_FILE"
wait_for "deleted infra object restored" 10 cmp -s "$T/expected/$INFRA_FILE" "$T/a1/out/$INFRA_FILE"
wait_for "infra Modified, Applying, Ready queued" 10 healed_into_outbox infra "$SEQ0"
SEQ1=$(issued_seq a1)
[ "$(outbox_count a1)" = $((OUTBOX0 + SEQ1 - SEQ0)) ] ||
    fail "outbox holds $(outbox_count a1) rows; expected $OUTBOX0 + the $((SEQ1 - SEQ0)) statuses issued offline"
pass "offline drift healed from the cache; statuses queued (seq $SEQ0 -> $SEQ1)"

# A reboot that lost the workload directory, hub still down: everything is
# re-applied from the cache and reported.
kill9_agent a1
assert_integrity "$(cache_db a1)"
rm -rf "$T/a1/out"
start_agent "${AGENT_ARGS[@]}"
wait_for "every object re-applied from the cache" 15 same_tree "$T/expected" "$T/a1/out"
for b in infra monitoring web; do
    wait_for "$b re-applied and reported after the reboot" 10 healed_into_outbox "$b" "$SEQ1"
done
SEQ2=$(issued_seq a1)
[ "$(outbox_count a1)" = $((OUTBOX0 + SEQ2 - SEQ0)) ] || fail "outbox lost rows across the kill -9"
pass "rebooted agent re-applied everything from its cache with the hub down"

# A clean restart, hub still down, re-applies nothing. Proof that the
# restarted reconciler has made a full pass: it heals a web file edited
# around the start, and every pass visits infra and monitoring before web
# (apply order), so a spurious re-apply of either, in the startup pass or
# any later one, would be queued before web's Ready.
kill9_agent a1
start_agent "${AGENT_ARGS[@]}"
echo '{"tampered": 2}' > "$T/a1/out/$WEB_FILE"
wait_for "web healed after the clean restart" 10 healed_into_outbox web "$SEQ2"
others=$(sql "$(cache_db a1)" "SELECT count(*) FROM outbox WHERE seq > $SEQ2 AND bundle != 'web'")
[ "$others" = 0 ] || fail "a clean restart re-applied or re-reported unchanged bundles: $(sql "$(cache_db a1)" \
    "SELECT seq, bundle, state FROM outbox WHERE seq > $SEQ2 AND bundle != 'web'" | tr '\n' ' ')"
same_tree "$T/expected" "$T/a1/out" || fail "objects differ from the deployed revision"
pass "a clean restart re-applies nothing"

# What the hub must receive: every queued status, as queued.
LAST=$(issued_seq a1)
sql "$(cache_db a1)" "SELECT seq, bundle, lower(hex(digest)), revision, state, message, time_unix_ms
    FROM outbox ORDER BY seq" > "$T/queued.txt"
[ "$(wc -l < "$T/queued.txt")" = $((OUTBOX0 + LAST - SEQ0)) ] || fail "outbox lost rows while offline"
FIRST_QUEUED=$(head -n 1 "$T/queued.txt" | cut -d'|' -f1)

restart_hub_ready
wait_for "a1 back online" 30 is_online a1 true
wait_for "a1's outbox drained to the hub" 30 outbox_empty a1
wait_for "a1 Ready at $C1 in droverctl status" 15 agent_ready_at a1 3 "$C1"
[ "$(issued_seq a1)" = "$LAST" ] || fail "a1 issued statuses after reconnecting with nothing changed"
# Gaps also catch statuses delivered out of order: the hub skips a seq at
# or below the highest it stored.
assert_status_log_complete a1
ID=$(agent_id_of a1)
sql "$(hub_db)" "SELECT seq, bundle, digest, revision, state, message, time_ms FROM status_log
    WHERE agent_id = '$ID' AND seq >= $FIRST_QUEUED ORDER BY seq" > "$T/stored.txt"
diff "$T/queued.txt" "$T/stored.txt" >&2 || fail "the hub stored other statuses than a1 queued (diff above)"
pass "all $((LAST - SEQ0)) offline statuses reached the hub in order (status_log 1..$LAST, no gaps)"

# No digest applied twice without cause. In the status history every
# Applying must follow something other than Ready of that same digest: a
# first delivery, a new digest, a dependency wait, a failure, or Modified
# (drift, the only cause in this test after the first apply). And the
# count is exact: one first apply per bundle plus one per drift event
# (web edit, infra delete, 3 bundles after the lost directory, the web
# edit after the clean restart).
spurious=$(sql "$(hub_db)" "SELECT count(*) FROM (SELECT state, digest,
        lag(state) OVER w AS prev_state, lag(digest) OVER w AS prev_digest
        FROM status_log WHERE agent_id = '$ID' WINDOW w AS (PARTITION BY bundle ORDER BY seq))
    WHERE state = 'Applying' AND prev_state = 'Ready' AND prev_digest = digest")
[ "$spurious" = 0 ] || fail "$spurious re-applies of an unchanged, Ready digest without drift"
applies=$(sql "$(hub_db)" "SELECT count(*) FROM status_log WHERE agent_id = '$ID' AND state = 'Applying'")
[ "$applies" = 9 ] || fail "expected 9 Applying statuses (3 first applies + 6 drift heals), the hub has $applies: $(
    sql "$(hub_db)" "SELECT seq, bundle, state FROM status_log WHERE agent_id = '$ID' ORDER BY seq" | tr '\n' ' ')"
pass "no digest applied twice without cause"
