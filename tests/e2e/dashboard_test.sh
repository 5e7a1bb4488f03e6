#!/usr/bin/env bash
# The dashboard in real headless Chromium (Debian's /usr/bin/chromium, driven
# by playwright-core from npm; no browser download): a hub with two agents and
# 60 simulated ones, then tests/dashboard/dashboard.test.mjs signs in and
# watches the fleet while this script changes it on request.
#
# The browser test asks for changes over a FIFO, one line each ("start_agent
# NAME LABELS", "kill9_agent NAME", "push_app", "push_broken",
# "push_halting_rollout", "stop_hub", "restart_hub"), and this script runs
# them with lib.sh's functions and answers "ok ..." on a second FIFO:
# processes stay in this script's PIDS and are cleaned up, and a failing step
# fails the test with its message.
#
# Screenshots: $DROVER_BUILD/test-artifacts/dashboard/. DROVER_SKIP_BROWSER=1
# skips the test (exit 77); otherwise a missing chromium, node or npm fails it.
if [ "${DROVER_SKIP_BROWSER:-}" = 1 ]; then
    echo "skipped: DROVER_SKIP_BROWSER=1"
    exit 77
fi
source "$(dirname "$0")/lib.sh"

CHROMIUM=${DROVER_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM: install Debian's chromium (tools/install-deps), set DROVER_CHROMIUM, or DROVER_SKIP_BROWSER=1 to skip"
command -v node >/dev/null || fail "node is not installed: install nodejs (tools/install-deps) or DROVER_SKIP_BROWSER=1 to skip"
command -v npm >/dev/null || fail "npm is not installed: install npm (tools/install-deps) or DROVER_SKIP_BROWSER=1 to skip"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
    fail "node $(node --version) is too old: the dashboard test needs node 18 or newer"

# playwright-core goes into the build directory, never the source tree; npm ci
# runs again only when the lock file changed.
DEPS="$DROVER_BUILD/dashboard-test"
LOCK="$DROVER_SOURCE/tests/dashboard/package-lock.json"
if ! cmp -s "$LOCK" "$DEPS/installed.lock" || [ ! -f "$DEPS/node_modules/playwright-core/package.json" ]; then
    mkdir -p "$DEPS"
    rm -f "$DEPS/installed.lock"
    cp "$DROVER_SOURCE/tests/dashboard/package.json" "$LOCK" "$DEPS/"
    (cd "$DEPS" && npm ci --no-audit --no-fund) > "$T/npm.log" 2>&1 ||
        { cat "$T/npm.log"; fail "npm ci in $DEPS failed (playwright-core comes from the npm registry)"; }
    cp "$LOCK" "$DEPS/installed.lock"
fi

ARTIFACTS="$DROVER_BUILD/test-artifacts/dashboard"
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"

# fleetsim registers its agents from one address at once.
HUB_FLAGS="--limit registrations-per-minute=0"
start_hub
REG=$(new_token --uses 100)
start_agent edge-1 role=gateway,region=eu
start_agent edge-2 role=sensor,region=us
SIM_N=60
LSAN_OPTIONS="suppressions=$DROVER_SOURCE/tools/fleetsim/lsan.supp" \
    "$DROVER_BUILD/tools/fleetsim/fleetsim" --hub "$HUB_WSS" --ca "$T/hub/tls/ca.pem" --token "$REG" \
    --agents $SIM_N --labels role=sensor,sim=yes --name-prefix sim --progress 0 \
    --backoff-base 200ms --backoff-cap 2s > "$T/fleetsim.out" 2> "$T/fleetsim.log" &
PIDS+=($!)
wait_for "edge-1, edge-2 and $SIM_N simulated agents online" 30 online_is $((SIM_N + 2))
pass "$((SIM_N + 2)) agents online"

# Chromium trusts exactly this hub's key (not every certificate).
SPKI=$(openssl x509 -in "$T/hub/tls/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)

push_app() {
    [ -d "$T/fleet" ] || clone_fleet
    write_app_bundle
    push_fleet "app for every agent"
}

# push_broken: a commit whose app/bundle.yaml does not parse, pushed by path
# (past the hub's push check, as a mirrored upstream would bring it).
push_broken() {
    printf 'targets: [{selector: {matchLabels: {role: [}}}]\n' > "$T/fleet/app/bundle.yaml"
    push_fleet "a bundle.yaml the hub refuses"
}

# push_halting_rollout: app version 2 with a rollout whose canary (edge-1,
# the one gateway) cannot apply it (its output directory is a file now), so
# the rollout halts after its 1 s progress deadline.
push_halting_rollout() {
    rm -rf "$T/edge-1/out/app" && echo "not a directory" > "$T/edge-1/out/app"
    write_app_bundle
    sed -i 's/version: "1"/version: "2"/' "$T/fleet/app/cm.yaml"
    printf 'rollout:\n  canary: {selector: {matchLabels: {role: gateway}}}\n  progressDeadline: 1s\n' >> "$T/fleet/app/bundle.yaml"
    push_fleet "app v2, canary first"
}

# serve_actions: run the browser test's requests until node exits.
serve_actions() {
    local line part="" cmd a b out
    exec {ASK}<> "$T/ask" {ANSWER}<> "$T/answer"
    while kill -0 "$NODE_PID" 2>/dev/null; do
        # bash reads a FIFO byte by byte: a timeout can fall inside a line,
        # and then read keeps what it had in the variable. Keep it too.
        if ! read -r -t 1 -u "$ASK" line; then
            part+=$line
            continue
        fi
        line=$part$line
        part=""
        read -r cmd a b <<< "$line"
        echo "action: $line"
        case "$cmd" in
            start_agent) start_agent "$a" "$b"; out= ;;
            kill9_agent) kill9_agent "$a"; out= ;;
            push_app) out=$(push_app) ;;
            push_broken) out=$(push_broken) ;;
            push_halting_rollout) out=$(push_halting_rollout) ;;
            stop_hub) stop_hub; out= ;;
            restart_hub) restart_hub; out= ;;
            *) fail "the browser test asked for an unknown action: $line" ;;
        esac
        echo "ok $out" >&"$ANSWER"
    done
}

mkfifo "$T/ask" "$T/answer"
echo "screenshots: $ARTIFACTS"
DASH_URL="$HUB_HTTPS/" DASH_ADMIN="$ADMIN" DASH_SPKI="$SPKI" DASH_CHROMIUM="$CHROMIUM" \
DASH_DEPS="$DEPS" DASH_ARTIFACTS="$ARTIFACTS" DASH_ASK="$T/ask" DASH_ANSWER="$T/answer" \
DASH_AGENTS=$((SIM_N + 2)) NODE_EXTRA_CA_CERTS="$T/hub/tls/ca.pem" \
    node "$DROVER_SOURCE/tests/dashboard/dashboard.test.mjs" &
NODE_PID=$!
PIDS+=("$NODE_PID")
serve_actions
wait "$NODE_PID" || fail "dashboard tests failed (output above; screenshots in $ARTIFACTS)"
pass "dashboard tests (screenshots in $ARTIFACTS)"
