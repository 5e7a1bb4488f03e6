#!/usr/bin/env bash
# droverctl provision: the image overlay unpacked into a temporary root is
# all a device needs. The agent runs from that root's own binary and
# agent.conf; only the absolute paths in agent.conf (/etc/drover and
# /var/lib/drover) are rewritten with sed to point inside the root, since
# this test cannot unpack at / (that rewrite is the only change). It
# registers with the token inside, pins the hub's CA and signing key from
# the overlay and applies a bundle pushed with git. An overlay whose signing
# key is not the hub's is refused. systemd-analyze verify checks the unit
# when systemd-analyze is installed (skipped, not failed, when it is not).
source "$(dirname "$0")/lib.sh"

start_hub
clone_fleet
mkdir -p "$T/fleet/gw"
printf 'targets: [{selector: {matchLabels: {role: gateway}}}]\n' > "$T/fleet/gw/bundle.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gw, namespace: default}\ndata: {a: "1"}\n' \
    > "$T/fleet/gw/cm.yaml"
C1=$(push_fleet "gw bundle")

ctl provision --out "$T/overlay.tar.gz" --labels role=gateway --apply dir:/var/lib/drover/out \
    --token-uses 2 --token-ttl 1h --agent-binary "$AGENT_BIN" > "$T/provision.out" 2>&1 \
    || { cat "$T/provision.out"; fail "droverctl provision"; }
grep -q "^wrote $T/overlay.tar.gz (image overlay) for agents of $HUB_WSS, applying to dir:/var/lib/drover/out$" \
    "$T/provision.out" || fail "provision summary: $(cat "$T/provision.out")"
[ "$(stat -c %a "$T/overlay.tar.gz")" = 600 ] || fail "the overlay holds a token: it must be 0600"

# What a root filesystem gets, owned by root.
tar -tzvf "$T/overlay.tar.gz" > "$T/listing.txt"
for f in usr/local/bin/drover-agent etc/drover/agent.conf etc/drover/ca.pem etc/drover/signing.pub.pem \
         etc/systemd/system/drover-agent.service \
         "etc/systemd/system/multi-user.target.wants/drover-agent.service -> ../drover-agent.service"; do
    grep -q " $f\$" "$T/listing.txt" || fail "overlay lacks $f"
done
[ "$(awk '{print $2}' "$T/listing.txt" | sort -u)" = root/root ] || fail "overlay entries not owned by root"
grep -q '^-rw------- root/root .* etc/drover/agent.conf$' "$T/listing.txt" || fail "agent.conf is not 0600"
grep -q '^-rwxr-xr-x root/root .* usr/local/bin/drover-agent$' "$T/listing.txt" || fail "agent is not 0755"

ROOT="$T/root"
mkdir -p "$ROOT"
tar -xzpf "$T/overlay.tar.gz" -C "$ROOT"
TOKEN=$(sed -n 's/^token = //p' "$ROOT/etc/drover/agent.conf")
[ -n "$TOKEN" ] || fail "agent.conf holds no token"
! grep -qF "$TOKEN" "$T/provision.out" || fail "droverctl printed the registration token"
cmp -s "$ROOT/etc/drover/ca.pem" "$T/hub/tls/ca.pem" || fail "overlay CA differs from the hub's"
cmp -s "$ROOT/etc/drover/signing.pub.pem" "$T/hub/keys/signing.pub.pem" || fail "overlay signing key differs"
pass "overlay holds agent, config (0600), CA, signing key and an enabled unit, all root-owned"

if command -v systemd-analyze >/dev/null; then
    # verify looks ExecStart's binary up on this machine, and --root would
    # need a root holding systemd's own units: check a copy whose ExecStart
    # points into the unpacked root (the one path rewritten).
    mkdir -p "$T/unit"
    sed "s#^ExecStart=/usr/local/bin/#ExecStart=$ROOT/usr/local/bin/#" \
        "$ROOT/etc/systemd/system/drover-agent.service" > "$T/unit/drover-agent.service"
    systemd-analyze verify "$T/unit/drover-agent.service" > "$T/verify.log" 2>&1 \
        || { cat "$T/verify.log"; fail "systemd-analyze verify"; }
    pass "systemd-analyze verify accepts the unit"
else
    echo "skip: systemd-analyze is not installed; the unit was not verified"
fi

# Start the agent from the root's config alone (paths rewritten into the root).
root_conf() {
    sed -i -e "s#/etc/drover#$1/etc/drover#g" -e "s#/var/lib/drover#$1/var/lib/drover#g" "$1/etc/drover/agent.conf"
}
root_conf "$ROOT"
"$ROOT/usr/local/bin/drover-agent" --config "$ROOT/etc/drover/agent.conf" >> "$T/device.log" 2>&1 &
PIDS+=($!)
NAME=$(hostname)
wait_for "device Ready" 20 is_state "$NAME" gw Ready
[ "$(agent_field "$NAME" .labels.role)" = gateway ] || fail "device lacks its label role=gateway"
[ -f "$ROOT/var/lib/drover/out/gw/configmap.default.gw.json" ] || fail "bundle not applied inside the root"
PINNED=$(sql "$ROOT/var/lib/drover/cache.db" 'SELECT signing_key_pem FROM identity')
[ "$PINNED" = "$(cat "$ROOT/etc/drover/signing.pub.pem")" ] || fail "the cache does not hold the overlay's signing key"
grep -q "registered with the hub as" "$T/device.log" || fail "no registration in the device log"
pass "device registered from the overlay and applied gw at ${C1:0:12}"

# The same overlay with another signing key: the hub's Welcome is refused.
ROOT2="$T/root2"
mkdir -p "$ROOT2"
tar -xzpf "$T/overlay.tar.gz" -C "$ROOT2"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout 2>/dev/null \
    > "$ROOT2/etc/drover/signing.pub.pem"
grep -q "BEGIN PUBLIC KEY" "$ROOT2/etc/drover/signing.pub.pem" || fail "openssl made no key"
root_conf "$ROOT2"
"$ROOT2/usr/local/bin/drover-agent" --config "$ROOT2/etc/drover/agent.conf" --name impostor-check \
    >> "$T/device2.log" 2>&1 &
PIDS+=($!)
wait_for "other signing key refused" 15 grep -q "different from the one pinned (by --signing-key" "$T/device2.log"
[ ! -d "$ROOT2/var/lib/drover/out/gw" ] || fail "an agent pinned to another key applied a spec"
pass "an agent pinned to another signing key refuses the hub"
