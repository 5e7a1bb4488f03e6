#!/usr/bin/env bash
# Dead links: a link that goes silent without closing (a vanished NAT, a
# stalled path: chaosproxy's stall) is found by the agent's heartbeat and
# by the hub's idle sweep; the hub shows the agent offline, the agent
# reconnects by itself once the path works again, and a status emitted
# while the link was dead still arrives.
source "$(dirname "$0")/lib.sh"

start_hub
stop_hub
restart_hub --idle-timeout 2s
clone_fleet
write_app_bundle
C1=$(push_fleet "app v1")
REG=$(new_token)

start_chaosproxy "$PORT"

# The agent pings every 300 ms when the link is quiet and gives up after
# 1.5 s of silence; the hub drops sessions silent for 2 s.
HUB_WSS="wss://127.0.0.1:$PROXY_PORT" start_agent a1 role=any --heartbeat 300ms --idle-timeout 1500ms \
    --drift-interval 300ms
wait_for "app Ready on a1" 15 is_state a1 app Ready
pass "agent converged through the proxy"

# A quiet, healthy link stays up: heartbeats keep both sides satisfied.
sleep 3
[ "$(grep -c "connected to" "$T/a1.log")" = 1 ] || fail "a quiet healthy link was dropped"
is_online a1 true || fail "hub dropped a quiet healthy session"
pass "a quiet link survives on heartbeats"

# The path goes silent without closing.
proxy_cmd stall > /dev/null
wait_for "agent hangs up on the silent link" 10 grep -q "hanging up on" "$T/a1.log"
wait_for "hub drops the dead session" 10 grep -q "dropping the dead link" "$T/hub.log"
wait_for "hub shows a1 offline" 10 is_online a1 false
pass "both sides found the half-open link"

# While the path is dead the workload drifts; the agent heals it and queues
# the statuses in its outbox.
APPLIED="$T/a1/out/app/configmap.default.app.json"
sed -i 's/"1"/"tampered"/' "$APPLIED"
wait_for "drift healed offline" 10 grep -q '"1"' "$APPLIED"

proxy_cmd resume > /dev/null
wait_for "hub shows a1 online again" 20 is_online a1 true
modified_stored() { [ "$(sql "$(hub_db)" "select count(*) from status_log where state = 'Modified'")" -ge 1 ]; }
wait_for "the offline Modified status reached the hub" 10 modified_stored
wait_for "a1 Ready again" 10 is_state a1 app Ready
pass "agent reconnected by itself and its offline statuses arrived"
