#!/usr/bin/env bash
# kube-testserver proven against the real kubectl: server-side apply with
# managedFields and conflicts, get/list with selectors, CRDs and custom
# resources, raw discovery, status updates and a rollout watched to the end,
# deletes, and both kubeconfig authentications.
#
# usage: kubectl_e2e.sh PATH/TO/kube-testserver
# Uses $KUBECTL (default: kubectl on PATH); exits 77 (skipped) without one.
set -euo pipefail

SERVER_BIN=${1:?usage: kubectl_e2e.sh PATH/TO/kube-testserver}
KUBECTL=${KUBECTL:-kubectl}
if ! command -v "$KUBECTL" >/dev/null 2>&1; then
    echo "SKIP: no kubectl on this machine (tools/install-deps installs kubernetes-client)"
    exit 77
fi
for tool in jq curl base64; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is needed"; exit 77; }
done

WORK=$(mktemp -d /tmp/kts-e2e-XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
export HOME="$WORK/home"  # kubectl's discovery cache stays in the test
mkdir -p "$HOME"

fail() {
    echo "FAIL: $*" >&2
    for log in "$WORK"/server*.err; do
        [ -f "$log" ] && { echo "--- $log (last 40 lines)" >&2; tail -40 "$log" >&2; }
    done
    exit 1
}

# start_server NAME ARGS...: starts a server, waits for its "listening on"
# line (polling, bounded), sets URL.
start_server() {
    local name=$1
    shift
    "$SERVER_BIN" --listen 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    PIDS+=($!)
    for _ in $(seq 1 200); do
        if grep -q '^listening on ' "$WORK/$name.out"; then
            URL=$(sed -n 's/^listening on //p' "$WORK/$name.out")
            return 0
        fi
        kill -0 "${PIDS[-1]}" 2>/dev/null || fail "$name exited: $(cat "$WORK/$name.err")"
        sleep 0.05
    done
    fail "$name did not print its address within 10 s"
}

k() { "$KUBECTL" --kubeconfig "$WORK/kubeconfig" "$@"; }

# kubectl >= 1.21 hides managedFields unless asked.
SHOW_MF=()
if "$KUBECTL" get --help 2>/dev/null | grep -q -- '--show-managed-fields'; then SHOW_MF=(--show-managed-fields); fi

start_server server --write-kubeconfig "$WORK/kubeconfig"
echo "server at $URL; $("$KUBECTL" version --client 2>/dev/null | head -1)"

cat >"$WORK/app.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: web
  labels: {a: b}
data:
  greeting: hello
  colour: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
EOF

echo "== server-side apply creates a Namespace, a ConfigMap and a Deployment"
out=$(k apply --server-side -f "$WORK/app.yaml" 2>&1) || fail "first apply: $out"
for o in namespace/web configmap/settings deployment.apps/nginx; do
    grep -q "$o serverside-applied" <<<"$out" || fail "apply output lacks $o: $out"
done

echo "== get -o json shows managedFields of manager kubectl, operation Apply, in f: format"
cm=$(k get configmap settings -n web -o json "${SHOW_MF[@]}") || fail "get configmap"
[ "$(jq -r '.data.greeting' <<<"$cm")" = hello ] || fail "data.greeting: $cm"
[ "$(jq -r '.metadata.managedFields | length' <<<"$cm")" = 1 ] || fail "managedFields: $cm"
[ "$(jq -r '.metadata.managedFields[0].manager' <<<"$cm")" = kubectl ] || fail "manager: $cm"
[ "$(jq -r '.metadata.managedFields[0].operation' <<<"$cm")" = Apply ] || fail "operation: $cm"
jq -e '.metadata.managedFields[0].fieldsV1 == {"f:data": {"f:greeting": {}, "f:colour": {}}, "f:metadata": {"f:labels": {"f:a": {}}}}' \
    <<<"$cm" >/dev/null || fail "fieldsV1: $(jq -c .metadata.managedFields <<<"$cm")"
rv1=$(jq -r .metadata.resourceVersion <<<"$cm")
deploy=$(k get deployment nginx -n web -o json "${SHOW_MF[@]}") || fail "get deployment"
jq -e '.metadata.managedFields[0].fieldsV1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"]["f:image"] == {}' \
    <<<"$deploy" >/dev/null || fail "containers are not keyed by name: $(jq -c .metadata.managedFields <<<"$deploy")"
[ "$(jq -r .metadata.generation <<<"$deploy")" = 1 ] || fail "generation: $deploy"

echo "== a second apply with a changed value updates it and bumps resourceVersion"
sed 's/colour: blue/colour: green/' "$WORK/app.yaml" >"$WORK/app2.yaml"
k apply --server-side -f "$WORK/app2.yaml" >/dev/null || fail "second apply"
cm=$(k get configmap settings -n web -o json) || fail "get after update"
[ "$(jq -r .data.colour <<<"$cm")" = green ] || fail "colour not updated: $cm"
rv2=$(jq -r .metadata.resourceVersion <<<"$cm")
[ "$rv2" -gt "$rv1" ] || fail "resourceVersion $rv1 -> $rv2"

echo "== another field manager changing kubectl's field conflicts unless it forces"
cat >"$WORK/other.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: web
data:
  colour: red
EOF
if out=$(k apply --server-side --field-manager other -f "$WORK/other.yaml" 2>&1); then
    fail "a conflicting apply succeeded: $out"
fi
grep -q 'conflict with "kubectl": .data.colour' <<<"$out" || fail "conflict message: $out"
k apply --server-side --field-manager other --force-conflicts -f "$WORK/other.yaml" >/dev/null || fail "forced apply"
cm=$(k get configmap settings -n web -o json "${SHOW_MF[@]}")
[ "$(jq -r .data.colour <<<"$cm")" = red ] || fail "forced value: $cm"
jq -e '[.metadata.managedFields[] | select(.manager == "other")][0].fieldsV1 == {"f:data": {"f:colour": {}}}' \
    <<<"$cm" >/dev/null || fail "other's fields: $(jq -c .metadata.managedFields <<<"$cm")"
jq -e '[.metadata.managedFields[] | select(.manager == "kubectl")][0].fieldsV1["f:data"] | has("f:colour") | not' \
    <<<"$cm" >/dev/null || fail "kubectl kept colour: $(jq -c .metadata.managedFields <<<"$cm")"

echo "== fields kubectl stops applying are removed"
grep -v 'greeting: hello' "$WORK/app2.yaml" | sed 's/colour: green/colour: red/' >"$WORK/app3.yaml"
k apply --server-side -f "$WORK/app3.yaml" >/dev/null || fail "apply without greeting"
[ "$(k get configmap settings -n web -o jsonpath='{.data.greeting}')" = "" ] || fail "greeting survived"

echo "== label selectors, in one namespace and across all"
[ "$(k get configmaps -n web -l a=b -o name)" = configmap/settings ] || fail "-l a=b"
[ "$(k get configmaps -n web -l a=c -o name)" = "" ] || fail "-l a=c"
[ "$(k get configmaps -A -l 'a in (b, x)' -o name)" = configmap/settings ] || fail "-A -l 'a in (b, x)'"
k get configmaps -A | grep -q settings || fail "table listing across namespaces"

echo "== a CRD, then a custom resource of it: applied, listed, shown in discovery"
cat >"$WORK/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, shortNames: [wg]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
    subresources: {status: {}}
EOF
cat >"$WORK/cr.yaml" <<'EOF'
apiVersion: example.com/v1
kind: Widget
metadata:
  name: gizmo
  namespace: web
spec:
  size: 3
EOF
k apply --server-side -f "$WORK/crd.yaml" >/dev/null || fail "apply CRD"
k wait --for=condition=Established crd/widgets.example.com --timeout=20s >/dev/null || fail "CRD not Established"
k apply --server-side -f "$WORK/cr.yaml" >/dev/null || fail "apply custom resource"
[ "$(k get widgets -n web -o name)" = widget.example.com/gizmo ] || fail "list widgets"
[ "$(k get wg gizmo -n web -o jsonpath='{.spec.size}')" = 3 ] || fail "get by short name"
k api-resources --api-group=example.com | grep -q widgets || fail "widgets not in discovery"

echo "== raw discovery"
[ "$(k get --raw /api/v1 | jq -r .kind)" = APIResourceList ] || fail "get --raw /api/v1"
[ "$(k get --raw /apis/example.com/v1 | jq -r '.resources[0].name')" = widgets ] || fail "get --raw CRD group"

echo "== status through the /status subresource; kubectl rollout status watches it complete"
TOKEN=$(grep ' token: ' "$WORK/kubeconfig" | awk '{print $2}')
grep 'certificate-authority-data' "$WORK/kubeconfig" | awk '{print $2}' | base64 -d >"$WORK/ca.pem"
curl -sf --cacert "$WORK/ca.pem" -H "Authorization: Bearer $TOKEN" -X PATCH \
    -H 'Content-Type: application/merge-patch+json' \
    -d '{"status":{"observedGeneration":1,"replicas":2,"updatedReplicas":2,"readyReplicas":2,"availableReplicas":2}}' \
    "$URL/apis/apps/v1/namespaces/web/deployments/nginx/status" >/dev/null || fail "status patch"
out=$(k rollout status deployment/nginx -n web --timeout=20s 2>&1) || fail "rollout status: $out"
grep -q 'successfully rolled out' <<<"$out" || fail "rollout status: $out"
[ "$(k get deployment nginx -n web -o jsonpath='{.spec.replicas}')" = 2 ] || fail "status write changed spec"

echo "== kubectl scale goes through the scale subresource and takes .spec.replicas from kubectl"
k scale deployment nginx -n web --replicas=3 >/dev/null || fail "kubectl scale"
deploy=$(k get deployment nginx -n web -o json "${SHOW_MF[@]}")
[ "$(jq -r .spec.replicas <<<"$deploy")" = 3 ] || fail "scaled replicas: $(jq -c .spec <<<"$deploy")"
[ "$(jq -r .metadata.generation <<<"$deploy")" = 2 ] || fail "generation after scale: $(jq -c .metadata <<<"$deploy")"
if out=$(k apply --server-side -f "$WORK/app3.yaml" 2>&1); then fail "re-apply did not conflict with the scaler: $out"; fi
grep -q '.spec.replicas' <<<"$out" || fail "conflict does not name .spec.replicas: $out"

echo "== delete, and deleting the Namespace deletes what was in it"
k delete configmap settings -n web >/dev/null || fail "delete configmap"
if out=$(k get configmap settings -n web 2>&1); then fail "deleted configmap still there"; fi
grep -q 'configmaps "settings" not found' <<<"$out" || fail "not-found message: $out"
k delete namespace web >/dev/null || fail "delete namespace"
[ "$(k get deployments -A -o name)" = "" ] || fail "deployments survived their namespace"
[ "$(k get widgets -A -o name)" = "" ] || fail "widgets survived their namespace"

echo "== kubectl's generators (protobuf bodies from kubectl 1.2x+) create namespaces, configmaps and secrets"
k create namespace made >/dev/null || fail "kubectl create namespace"
k create configmap made -n made --from-literal=a=1 >/dev/null || fail "kubectl create configmap"
k create secret generic made -n made --from-literal=password=hunter2 >/dev/null || fail "kubectl create secret"
[ "$(k get configmap made -n made -o jsonpath='{.data.a}')" = 1 ] || fail "created configmap data"
[ "$(k get secret made -n made -o jsonpath='{.data.password}' | base64 -d)" = hunter2 ] || fail "created secret data"
[ "$(k get namespace made -o jsonpath='{.metadata.labels.kubernetes\.io/metadata\.name}')" = made ] ||
    fail "namespace name label"

echo "== a wrong token is refused"
if out=$("$KUBECTL" --kubeconfig "$WORK/kubeconfig" --token wrong get namespaces 2>&1); then
    fail "a wrong token was accepted"
fi
grep -qi 'unauthorized\|must be logged in' <<<"$out" || fail "401 message: $out"

echo "== a kubeconfig with a client certificate works as well"
start_server server-cert --write-kubeconfig "$WORK/kubeconfig-cert" --auth cert
grep -q 'client-certificate-data' "$WORK/kubeconfig-cert" || fail "no client certificate in kubeconfig"
"$KUBECTL" --kubeconfig "$WORK/kubeconfig-cert" get namespace default -o name | grep -q namespace/default ||
    fail "client certificate authentication"

echo "PASS"
