#include "tools/droverctl/provision_files.h"

#include "common/apply_target.h"
#include "common/text.h"

namespace drover::ctl {

namespace {

// Characters that would need quoting in agent.conf ('#' starts a comment,
// quotes are stripped), in a unit file (whitespace separates, '%' is a
// specifier, '\' escapes) or in YAML: refused rather than escaped.
bool plain_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return false;
    for (char c : path) {
        auto u = static_cast<unsigned char>(c);
        if (u <= ' ' || u == 0x7f || c == '#' || c == '"' || c == '\'' || c == '\\' || c == '%' || c == ':') return false;
    }
    return true;
}

bool inside(std::string_view path, std::string_view dir) {
    return path == dir || (starts_with(path, dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

// Every line of text, indented; for YAML block scalars.
std::string indented(std::string_view text, std::string_view indent) {
    std::string out;
    for (const std::string& line : split(trim(text), '\n')) out += cat(indent, line, "\n");
    return out;
}

}  // namespace

Result<void> check_apply_target(const std::string& apply) {
    auto target = parse_apply_target(apply);
    if (!target) return fail(cat("--apply: ", target.error().message));
    if (target->kind != ApplyTarget::Kind::kube && !plain_path(target->dir))
        return fail(cat("--apply ", quoted(apply),
                        ": the directory must be an absolute path without spaces, quotes, '#', '%', ':' or '\\'"));
    return {};
}

Result<void> check_conf_hub_url(const std::string& url) {
    for (char c : url) {
        auto u = static_cast<unsigned char>(c);
        if (u <= ' ' || u == 0x7f || c == '#' || c == '"')
            return fail(cat("hub URL ", quoted(url), ": an agent's hub URL cannot hold whitespace, control characters, '#' or '\"'"));
    }
    return {};
}

Result<void> check_conf_token(const std::string& token) {
    if (token.empty()) return fail("the hub's token is empty");
    for (char c : token) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!plain)
            return fail(cat("the hub's token holds ", quoted(std::string_view(&c, 1)),
                            ": agent.conf takes only letters, digits and '_' in a token"));
    }
    return {};
}

Result<std::string> agent_hub_url(const std::string& api_url) {
    std::string_view rest;
    const char* scheme = nullptr;
    if (starts_with(api_url, "https://")) {
        scheme = "wss://";
        rest = std::string_view(api_url).substr(8);
    } else if (starts_with(api_url, "http://")) {
        scheme = "ws://";
        rest = std::string_view(api_url).substr(7);
    } else {
        return fail(cat("hub URL ", quoted(api_url), " is not https:// or http://; give the agent's with --hub-url"));
    }
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty()) return fail(cat("hub URL ", quoted(api_url), " names no host"));
    return cat(scheme, authority);
}

std::string agent_conf(const ProvisionPlan& plan) {
    std::string out =
        "# drover-agent settings (drover-agent --config FILE), written by droverctl provision.\n"
        "# Keys are drover-agent's option names; see drover-agent --help.\n";
    out += cat("hub = ", plan.hub_url, "\n");
    if (plan.ca_pem.empty()) out += "insecure = true\n";
    else out += cat("ca = ", kOverlayCa, "\n");
    out += cat("signing-key = ", kOverlaySigningKey, "\n");
    out += "# Registration token: used once, on first contact; the agent keeps its own credential.\n";
    out += cat("token = ", plan.token, "\n");
    out += cat("data-dir = ", kOverlayDataDir, "\n");
    if (!plan.labels.empty()) out += cat("labels = ", format_labels(plan.labels), "\n");
    out += cat("apply = ", plan.apply, "\n");
    return out;
}

std::string systemd_unit(const ProvisionPlan& plan) {
    std::string out = cat(
        "# drover-agent, written by droverctl provision: keeps an outbound link to the\n"
        "# drover hub and applies the bundles meant for this device (", plan.apply, ").\n"
        "[Unit]\n"
        "Description=drover edge agent\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "# An edge device is left alone for years: never stop restarting.\n"
        "StartLimitIntervalSec=0\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        "ExecStart=", kOverlayAgentBinary, " --config ", kOverlayConfig, "\n"
        "Restart=always\n"
        "RestartSec=5s\n"
        "# The cache (identity, specs, unsent statuses) in ", kOverlayDataDir, ".\n"
        "StateDirectory=drover\n"
        "StateDirectoryMode=0700\n"
        "\n"
        "# Sandboxing: the file system is read-only but for the state directory and\n"
        "# where the applier writes.\n"
        "NoNewPrivileges=yes\n"
        "ProtectSystem=strict\n");
    // check_apply_target accepted plan.apply.
    ApplyTarget target = parse_apply_target(plan.apply).value_or(ApplyTarget{});
    if (target.kind == ApplyTarget::Kind::kube) {
        out += "# A kubeconfig may live in a home directory: readable, not writable.\n"
               "ProtectHome=read-only\n";
    } else {
        out += "ProtectHome=yes\n";
    }
    if (target.kind == ApplyTarget::Kind::dir && !inside(target.dir, kOverlayDataDir)) {
        // ReadWritePaths needs the directory to exist before the sandbox is
        // set up; '+' runs this one command outside it.
        out += cat("ExecStartPre=+/bin/mkdir -p ", target.dir, "\n", "ReadWritePaths=", target.dir, "\n");
    }
    // '-': K3s makes it on server nodes; when absent the agent says so.
    if (target.kind == ApplyTarget::Kind::k3s_manifests) out += cat("ReadWritePaths=-", target.dir, "\n");
    out +=
        "PrivateTmp=yes\n"
        "PrivateDevices=yes\n"
        "ProtectKernelTunables=yes\n"
        "ProtectKernelModules=yes\n"
        "ProtectKernelLogs=yes\n"
        "ProtectControlGroups=yes\n"
        "ProtectClock=yes\n"
        "ProtectHostname=yes\n"
        "RestrictNamespaces=yes\n"
        "RestrictRealtime=yes\n"
        "RestrictSUIDSGID=yes\n"
        "LockPersonality=yes\n"
        "MemoryDenyWriteExecute=yes\n"
        "CapabilityBoundingSet=\n"
        "SystemCallArchitectures=native\n"
        "SystemCallFilter=@system-service\n"
        "SystemCallErrorNumber=EPERM\n"
        "# The hub link, the Kubernetes API, DNS.\n"
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n";
    return out;
}

std::string kubernetes_yaml(const ProvisionPlan& plan) {
    std::string conf = agent_conf(plan);
    std::string out =
        "# drover-agent inside a K3s (or any Kubernetes) cluster, written by droverctl\n"
        "# provision --format k8s: kubectl apply -f THIS_FILE. The Secret holds a\n"
        "# registration token: keep this file private. The ClusterRole grants\n"
        "# everything, as bundles may hold any kind (see deploy/k3s/agent.yaml and\n"
        "# agent-namespaced-rbac.yaml to confine it).\n"
        "apiVersion: v1\n"
        "kind: Namespace\n"
        "metadata:\n"
        "  name: drover-system\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: ServiceAccount\n"
        "metadata:\n"
        "  name: drover-agent\n"
        "  namespace: drover-system\n"
        "---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\n"
        "kind: ClusterRole\n"
        "metadata:\n"
        "  name: drover-agent\n"
        "rules:\n"
        "- apiGroups: [\"*\"]\n"
        "  resources: [\"*\"]\n"
        "  verbs: [\"*\"]\n"
        "- nonResourceURLs: [\"*\"]\n"
        "  verbs: [\"get\"]\n"
        "---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\n"
        "kind: ClusterRoleBinding\n"
        "metadata:\n"
        "  name: drover-agent\n"
        "roleRef:\n"
        "  apiGroup: rbac.authorization.k8s.io\n"
        "  kind: ClusterRole\n"
        "  name: drover-agent\n"
        "subjects:\n"
        "- kind: ServiceAccount\n"
        "  name: drover-agent\n"
        "  namespace: drover-system\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        "  name: drover-agent\n"
        "  namespace: drover-system\n"
        "type: Opaque\n"
        "stringData:\n"
        "  agent.conf: |\n";
    out += indented(conf, "    ");
    if (!plan.ca_pem.empty()) out += cat("  ca.pem: |\n", indented(plan.ca_pem, "    "));
    out += cat("  signing.pub.pem: |\n", indented(plan.signing_key_pem, "    "));
    out += cat(
        "---\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: drover-agent\n"
        "  namespace: drover-system\n"
        "  labels:\n"
        "    app.kubernetes.io/name: drover-agent\n"
        "spec:\n"
        "  replicas: 1\n"
        "  # Never two agents on one cache: the old pod stops before the new starts.\n"
        "  strategy:\n"
        "    type: Recreate\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app.kubernetes.io/name: drover-agent\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app.kubernetes.io/name: drover-agent\n"
        "    spec:\n"
        "      serviceAccountName: drover-agent\n"
        "      containers:\n"
        "      - name: agent\n"
        "        image: ", plan.image, "\n"
        "        imagePullPolicy: IfNotPresent\n"
        "        args: [\"--config\", \"", kOverlayConfig, "\", \"--name\", \"$(NODE_NAME)\"]\n"
        "        env:\n"
        "        - name: NODE_NAME\n"
        "          valueFrom:\n"
        "            fieldRef:\n"
        "              fieldPath: spec.nodeName\n"
        "        resources:\n"
        "          requests:\n"
        "            cpu: 10m\n"
        "            memory: 32Mi\n"
        "          limits:\n"
        "            memory: 256Mi\n"
        "        securityContext:\n"
        "          allowPrivilegeEscalation: false\n"
        "          readOnlyRootFilesystem: true\n"
        "          capabilities:\n"
        "            drop: [\"ALL\"]\n"
        "        volumeMounts:\n"
        "        - name: config\n"
        "          mountPath: /etc/drover\n"
        "          readOnly: true\n"
        "        - name: cache\n"
        "          mountPath: ", kOverlayDataDir, "\n"
        "      securityContext:\n"
        "        seccompProfile:\n"
        "          type: RuntimeDefault\n"
        "      volumes:\n"
        "      - name: config\n"
        "        secret:\n"
        "          secretName: drover-agent\n"
        "          defaultMode: 0400\n"
        "      # The cache on the node's disk survives pod restarts: the agent keeps\n"
        "      # its identity and re-applies with no hub in sight. On a cluster of\n"
        "      # several nodes, pin the pod to one (nodeSelector), or it registers again.\n"
        "      - name: cache\n"
        "        hostPath:\n"
        "          path: /var/lib/drover-agent\n"
        "          type: DirectoryOrCreate\n");
    return out;
}

}  // namespace drover::ctl
