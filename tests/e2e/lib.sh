# Shared harness for drover's end-to-end tests: real binaries, loopback, free
# ports, readiness by polling (never a bare sleep), logs kept for the failure
# message. Each test sources this file, then calls the functions below.
#
# Environment: DROVER_BUILD (meson build dir), DROVER_SOURCE (source root).
set -euo pipefail

: "${DROVER_BUILD:?set DROVER_BUILD to the meson build directory}"
: "${DROVER_SOURCE:?set DROVER_SOURCE to the source root}"
HUB_BIN="$DROVER_BUILD/hub/drover-hub"
AGENT_BIN="$DROVER_BUILD/agent/drover-agent"
CTL_BIN="$DROVER_BUILD/tools/droverctl/droverctl"

T=$(mktemp -d /tmp/drover-e2e.XXXXXX)
PIDS=()
TEST_NAME=$(basename "$0" .sh)

dump_logs() {
    for f in "$T"/*.log; do
        [ -f "$f" ] || continue
        echo "----- $(basename "$f") (last 40 lines) -----"
        tail -n 40 "$f"
    done
}

cleanup() {
    local rc=$?
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    # Under -Db_sanitize the binaries report into their logs: any report fails the test.
    if grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$T"/*.log 2>/dev/null; then
        echo "sanitizer report in the logs above"
        rc=1
    fi
    if [ $rc -ne 0 ]; then
        echo "FAILED: $TEST_NAME (work dir $T)"
        dump_logs
    else
        rm -rf "$T"
    fi
    exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: poll every 0.1 s.
wait_for() {
    local what=$1 timeout=$2; shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "timed out after ${timeout}s waiting for: $what"
        sleep 0.1
    done
}

start_hub() {
    "$HUB_BIN" init --data "$T/hub" > "$T/init.out" 2>&1 || { cat "$T/init.out"; fail "hub init"; }
    ADMIN=$(cat "$T/hub/admin.token")
    restart_hub
}

# Start (or start again) the hub on the data dir start_hub made, on a free port.
restart_hub() {
    local listen=${HUB_LISTEN:-127.0.0.1:0}
    "$HUB_BIN" serve --data "$T/hub" --listen "$listen" "$@" >> "$T/hub.log" 2>&1 &
    HUB_PID=$!
    PIDS+=("$HUB_PID")
    wait_for "hub listening" 10 grep -q "listening on" "$T/hub.log"
    PORT=$(grep -o 'listening on [a-z]*://[0-9.]*:[0-9]*' "$T/hub.log" | tail -n 1 | sed 's/.*://')
    HUB_LISTEN="127.0.0.1:$PORT"  # a restart keeps the address agents know
    HUB_WSS="wss://127.0.0.1:$PORT"
    HUB_HTTPS="https://127.0.0.1:$PORT"
}

stop_hub() {
    kill "$HUB_PID"
    wait "$HUB_PID" 2>/dev/null || true
}

ctl() { "$CTL_BIN" --hub "$HUB_HTTPS" --ca "$T/hub/tls/ca.pem" --token "$ADMIN" "$@"; }
status_json() { ctl -o json status; }

new_token() { ctl token create "$@" 2>/dev/null; }

# start_agent NAME LABELS [extra args...]: agent with data in $T/NAME, applying to $T/NAME/out.
start_agent() {
    local name=$1 labels=$2; shift 2
    "$AGENT_BIN" --hub "$HUB_WSS" --ca "$T/hub/tls/ca.pem" --token "${REG:?}" --data-dir "$T/$name" \
        --labels "$labels" --apply "dir:$T/$name/out" --name "$name" "$@" >> "$T/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    eval "PID_${name//-/_}=$pid"
}

stop_agent() {
    local var="PID_${1//-/_}"
    kill "${!var}" 2>/dev/null || true
    wait "${!var}" 2>/dev/null || true
}

# A working clone of the hub's bare repository (plain `git push` by path).
clone_fleet() {
    git clone -q "$T/hub/fleet.git" "$T/fleet" 2>/dev/null
    git -C "$T/fleet" config user.name "e2e"
    git -C "$T/fleet" config user.email "e2e@drover.invalid"
    git -C "$T/fleet" checkout -q -b main 2>/dev/null || true
}

push_fleet() {
    local message=$1
    git -C "$T/fleet" add -A
    git -C "$T/fleet" commit -q -m "$message"
    git -C "$T/fleet" push -q origin HEAD:main
    git -C "$T/fleet" rev-parse HEAD
}

# jq over the hub's status.
agent_field() { status_json | jq -r --arg n "$1" ".agents[] | select(.name==\$n) | $2"; }
bundle_state() {
    status_json | jq -r --arg n "$1" --arg b "$2" \
        '.agents[] | select(.name==$n) | .bundles[] | select(.bundle==$b) | .state'
}
is_state() { [ "$(bundle_state "$1" "$2")" = "$3" ]; }
is_online() { [ "$(agent_field "$1" .online)" = "$2" ]; }
has_no_bundle() { [ -z "$(bundle_state "$1" "$2")" ]; }
agent_count() { status_json | jq '.agents | length'; }
all_ready_at() {  # all_ready_at COMMIT: every targeted bundle on every agent Ready at COMMIT
    status_json | jq -e --arg c "$1" \
        '[.agents[].bundles[] | select(.state != "Ready" or .revision != $c or .out_of_sync)] | length == 0' >/dev/null
}
online_is() { [ "$(status_json | jq '[.agents[] | select(.online)] | length')" = "$1" ]; }
