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
# Tests restart hubs on purpose: reconnect within a fraction of a second
# instead of the production defaults (5s base, 5m cap). A test may set its own.
AGENT_LINK_FLAGS=${AGENT_LINK_FLAGS---backoff-base 200ms --backoff-cap 2s}
CTL_BIN="$DROVER_BUILD/tools/droverctl/droverctl"
# Under -Db_sanitize=address: libgit2's known leaks (see hub/lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$DROVER_SOURCE/hub/lsan.supp}

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

# Start (or start again) the hub on the data dir start_hub made, on a free port,
# with $HUB_FLAGS (word-split) and the arguments given.
restart_hub() {
    local listen=${HUB_LISTEN:-127.0.0.1:0} before
    before=$(grep -c "listening on" "$T/hub.log" 2>/dev/null || true)
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" \
        "$HUB_BIN" serve --data "$T/hub" --listen "$listen" ${HUB_FLAGS:-} "$@" >> "$T/hub.log" 2>&1 &
    HUB_PID=$!
    PIDS+=("$HUB_PID")
    # This run's own line: an earlier run's is already in the log.
    wait_for "hub listening" 10 count_above "$T/hub.log" "listening on" "${before:-0}"
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
        --labels "$labels" --apply "dir:$T/$name/out" --name "$name" $AGENT_LINK_FLAGS "$@" >> "$T/$name.log" 2>&1 &
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

# git against the hub's smart-HTTP remote: its CA, no prompts, a private
# HOME so the machine's git configuration (credential helpers) stays out.
hub_git() {
    HOME="$T/githome" GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GIT_SSL_CAINFO="$T/hub/tls/ca.pem" \
        git -c user.name=e2e -c user.email=e2e@drover.invalid -c init.defaultBranch=main "$@"
}
# hub_url TOKEN: the repository URL with TOKEN as the password.
hub_url() { echo "https://op:$1@127.0.0.1:$PORT/git/fleet.git"; }
# clone_http DIR TOKEN: a working clone over HTTPS in $T/DIR.
clone_http() { hub_git clone -q "$(hub_url "$2")" "$T/$1" 2>&1 | grep -v "cloned an empty repository" || true; }

# write_app_bundle: bundle "app" for every agent, one ConfigMap
# default/app with data.version "1" (applied as
# OUT/app/configmap.default.app.json).
write_app_bundle() {
    mkdir -p "$T/fleet/app"
    printf 'targets: [{selector: {}}]\n' > "$T/fleet/app/bundle.yaml"
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: default}\ndata: {version: "1"}\n' \
        > "$T/fleet/app/cm.yaml"
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

# ---- Crashes, caches and stores (offline_test, crash_test) ----------------

# sql DB QUERY: one query through the sqlite3 CLI, waiting up to 5 s for a
# lock. Reading a live WAL database is safe: it never blocks the writer.
sql() { sqlite3 -batch -noheader -cmd ".timeout 5000" "$1" "$2"; }
cache_db() { echo "$T/$1/cache.db"; }
hub_db() { echo "$T/hub/hub.db"; }

# assert_integrity DB: PRAGMA integrity_check says ok, else the test fails
# with what it found.
assert_integrity() {
    local out
    out=$(sql "$1" 'PRAGMA integrity_check' 2>&1) || fail "cannot check $1: $out"
    [ "$out" = ok ] || fail "$1 fails PRAGMA integrity_check: $out"
}

# kill9_agent NAME / kill9_hub: SIGKILL, as a power cut or the OOM killer
# would; nothing gets to flush or close.
kill9_agent() {
    local var="PID_${1//-/_}"
    kill -9 "${!var}" 2>/dev/null || true
    wait "${!var}" 2>/dev/null || true
}
kill9_hub() {
    kill -9 "$HUB_PID" 2>/dev/null || true
    wait "$HUB_PID" 2>/dev/null || true
}

# count_above FILE PATTERN N: FILE has more than N lines matching PATTERN (grep -E).
count_above() { [ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -gt "$3" ]; }

# restart_hub_ready [args...]: restart_hub (which waits for this run's own
# "listening on" line).
restart_hub_ready() { restart_hub "$@"; }

# agent_ready_at NAME N COMMIT: the agent runs exactly N bundles, all Ready
# at COMMIT (all_ready_at alone also holds before any bundle is reported).
agent_ready_at() {
    status_json | jq -e --arg n "$1" --argjson k "$2" --arg c "$3" '[.agents[] | select(.name == $n) | .bundles[]]
        | length == $k and all(.state == "Ready" and .revision == $c and (.out_of_sync | not))' >/dev/null
}

# The agent's side of the status protocol, read from its cache.
agent_id_of() { sql "$(cache_db "$1")" 'SELECT agent_id FROM identity'; }
outbox_count() { sql "$(cache_db "$1")" 'SELECT count(*) FROM outbox'; }
outbox_empty() { [ "$(outbox_count "$1")" = 0 ]; }
# The last status seq the agent issued (never reused, even after acks).
issued_seq() { sql "$(cache_db "$1")" "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)"; }

# assert_status_log_complete NAME: every status the agent issued reached the
# hub's store: its status_log holds seqs 1..N with no gap (the hub keeps the
# latest kStatusLogPerAgent = 1000; tests stay below that), N is the last seq
# the agent issued, and agents.acked_seq is N. Call it once the agent's
# outbox has drained.
assert_status_log_complete() {
    local name=$1 id n lo hi issued acked missing
    id=$(agent_id_of "$name")
    [[ "$id" =~ ^[A-Za-z0-9_-]+$ ]] || fail "$name: no usable agent id in its cache: '$id'"
    IFS='|' read -r n lo hi <<<"$(sql "$(hub_db)" \
        "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM status_log WHERE agent_id = '$id'")"
    issued=$(issued_seq "$name")
    acked=$(sql "$(hub_db)" "SELECT acked_seq FROM agents WHERE id = '$id'")
    [ "$n" -gt 0 ] || fail "$name: the hub's status_log holds nothing for $id"
    if [ "$n" != $((hi - lo + 1)) ] || { [ "$hi" -le 1000 ] && [ "$lo" != 1 ]; }; then
        missing=$(sql "$(hub_db)" "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < $hi)
            SELECT group_concat(x, ',') FROM s WHERE x >= max(1, $hi - 999)
              AND x NOT IN (SELECT seq FROM status_log WHERE agent_id = '$id')")
        fail "$name: the hub's status_log has gaps: seqs $lo..$hi, $n stored, missing: $missing"
    fi
    [ "$hi" = "$issued" ] || fail "$name: the agent issued seqs up to $issued, the hub's status_log ends at $hi"
    [ "$acked" = "$issued" ] || fail "$name: agents.acked_seq is $acked, the agent issued up to $issued"
}

# start_chaosproxy UPSTREAM_PORT [flags...]: tools/chaosproxy in front of the
# hub; sets PROXY_PORT (where agents dial) and PROXY_CONTROL (its control port).
start_chaosproxy() {
    local upstream=$1; shift
    local bin="$DROVER_BUILD/tools/chaosproxy/chaosproxy"
    [ -x "$bin" ] || fail "chaosproxy is not built ($bin)"
    "$bin" --listen 127.0.0.1:0 --upstream "127.0.0.1:$upstream" --control 127.0.0.1:0 "$@" \
        > "$T/chaosproxy.out" 2>> "$T/chaosproxy.log" &
    PROXY_PID=$!
    PIDS+=("$PROXY_PID")
    wait_for "chaosproxy ready" 10 grep -q "control on" "$T/chaosproxy.out"
    PROXY_PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/chaosproxy.out")
    PROXY_CONTROL=$(sed -n 's/^control on .*:\([0-9]*\)$/\1/p' "$T/chaosproxy.out")
}

# proxy_cmd COMMAND...: one control command; prints the proxy's answer and
# fails the test unless it starts with "ok".
proxy_cmd() {
    local reply fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$PROXY_CONTROL" || fail "cannot reach the chaosproxy control port"
    echo "$*" >&"$fd"
    read -r -t 5 reply <&"$fd" || reply="(no answer)"
    exec {fd}>&-
    case "$reply" in ok*) echo "$reply" ;; *) fail "chaosproxy '$*': $reply" ;; esac
}
