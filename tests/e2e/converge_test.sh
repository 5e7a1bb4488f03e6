#!/usr/bin/env bash
# register -> apply -> Ready; only targeted agents get a bundle; an update
# rewrites objects; an object that leaves a bundle is pruned; a removed bundle
# is pruned everywhere.
source "$(dirname "$0")/lib.sh"

start_hub
REG=$(new_token --labels site=lab)
[ -n "$REG" ] || fail "token create printed no token"
start_agent gw1 role=gateway,region=eu-west
start_agent gw2 role=gateway,region=us-east,size=small
start_agent sensor1 role=sensor,region=eu-north
wait_for "3 agents online" 15 online_is 3
pass "three agents registered and online"
[ "$(agent_field gw1 .labels.site)" = lab ] || fail "token label site=lab missing on gw1"

clone_fleet
mkdir -p "$T/fleet/web/overlays/small" "$T/fleet/base"
cat > "$T/fleet/fleet.yaml" <<'YAML'
groups:
  eu: {matchExpressions: [{key: region, operator: In, values: [eu-west, eu-north]}]}
YAML
cat > "$T/fleet/web/bundle.yaml" <<'YAML'
name: web
namespace: web
targets:
  - selector: {matchLabels: {role: gateway}}
customizations:
  - name: small
    selector: {matchLabels: {size: small}}
    images: {nginx: "nginx:1.27-alpine"}
    patches: [overlays/small/replicas.yaml]
YAML
cat > "$T/fleet/web/app.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: "nginx:1.25"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {greeting: hello}
YAML
cat > "$T/fleet/web/overlays/small/replicas.yaml" <<'YAML'
kind: Deployment
metadata: {name: nginx}
spec: {replicas: 1}
YAML
cat > "$T/fleet/base/bundle.yaml" <<'YAML'
targets:
  - group: eu
YAML
cat > "$T/fleet/base/ns.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: base}
YAML
C1=$(push_fleet "web and base")

wait_for "web Ready on gw1" 15 is_state gw1 web Ready
wait_for "web Ready on gw2" 15 is_state gw2 web Ready
wait_for "base Ready on gw1" 15 is_state gw1 base Ready
wait_for "base Ready on sensor1" 15 is_state sensor1 base Ready
wait_for "all Ready at $C1" 15 all_ready_at "$C1"
has_no_bundle sensor1 web || fail "sensor1 must not get web"
has_no_bundle gw2 base || fail "gw2 (us-east) must not get base"
[ ! -e "$T/sensor1/out/web" ] || fail "sensor1 has web objects on disk"
pass "targeted agents Ready, others untouched"

# One file per object; customization 'small' applied on gw2 only.
grep -q '"replicas": 3' "$T/gw1/out/web/deployment.web.nginx.json" || fail "gw1 nginx should have 3 replicas"
grep -q '"nginx:1.25"' "$T/gw1/out/web/deployment.web.nginx.json" || fail "gw1 image should be nginx:1.25"
grep -q '"replicas": 1' "$T/gw2/out/web/deployment.web.nginx.json" || fail "gw2 nginx should be patched to 1 replica"
grep -q '"nginx:1.27-alpine"' "$T/gw2/out/web/deployment.web.nginx.json" || fail "gw2 image should be rewritten"
[ -f "$T/gw1/out/web/configmap.web.web-config.json" ] || fail "configmap file missing on gw1"
pass "objects written with customizations"

# Update: the configmap changes and the deployment leaves the bundle (with
# the patch that targeted it: a patch matching nothing is refused).
sed -i 's/greeting: hello/greeting: bonjour/' "$T/fleet/web/app.yaml"
sed -i '1,/^---$/d' "$T/fleet/web/app.yaml"
sed -i '/patches:/d' "$T/fleet/web/bundle.yaml"
git -C "$T/fleet" rm -q -r web/overlays
C2=$(push_fleet "web: configmap only")
wait_for "gw1 configmap rewritten" 15 grep -q bonjour "$T/gw1/out/web/configmap.web.web-config.json"
wait_for "gw1 deployment pruned" 15 test ! -e "$T/gw1/out/web/deployment.web.nginx.json"
wait_for "gw2 deployment pruned" 15 test ! -e "$T/gw2/out/web/deployment.web.nginx.json"
wait_for "all Ready at $C2" 15 all_ready_at "$C2"
pass "update rewrites and prunes"

# Remove a bundle: pruned on every agent, its status gone.
git -C "$T/fleet" rm -q -r web
C3=$(push_fleet "remove web")
wait_for "web removed from gw1" 15 has_no_bundle gw1 web
wait_for "web removed from gw2" 15 has_no_bundle gw2 web
wait_for "gw1 web objects gone" 15 test ! -e "$T/gw1/out/web/configmap.web.web-config.json"
[ "$(status_json | jq '[.bundles[] | select(.name=="web")] | length')" = 0 ] || fail "web still listed"
wait_for "base still Ready at $C3" 15 all_ready_at "$C3"
pass "removed bundle pruned"
