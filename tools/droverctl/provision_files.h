#pragma once
// The text files of a device overlay (droverctl provision): the agent's
// config, its systemd unit, and the Kubernetes YAML for --format k8s. Pure
// functions of a ProvisionPlan, so tests check them without a hub.
#include <string>

#include "common/error.h"
#include "common/labels.h"

namespace drover::ctl {

// Where the overlay puts things on the device.
inline constexpr const char* kOverlayAgentBinary = "/usr/local/bin/drover-agent";
inline constexpr const char* kOverlayConfig = "/etc/drover/agent.conf";
inline constexpr const char* kOverlayCa = "/etc/drover/ca.pem";
inline constexpr const char* kOverlaySigningKey = "/etc/drover/signing.pub.pem";
inline constexpr const char* kOverlayDataDir = "/var/lib/drover";
inline constexpr const char* kOverlayUnit = "/etc/systemd/system/drover-agent.service";

struct ProvisionPlan {
    std::string hub_url;  // wss://HOST:PORT (ws:// for a hub without TLS)
    std::string token;    // the registration token (a secret)
    std::string ca_pem;   // empty: the hub has no TLS (ws://)
    std::string signing_key_pem;
    Labels labels;
    std::string apply = "kube";  // kube | k3s-manifests[:DIR] | dir:PATH, as drover-agent --apply
    std::string image;  // --format k8s: the container image (droverctl: drover-agent:VERSION)
};

// Checks an --apply value the way drover-agent does (kube,
// k3s-manifests[:DIR], dir:PATH); paths must be absolute on a device.
Result<void> check_apply_target(const std::string& apply);

// https://H:P[/...] -> wss://H:P, http://H:P -> ws://H:P (the agent adds
// its /v1/agent path).
Result<std::string> agent_hub_url(const std::string& api_url);

// agent.conf holds one "key = value" per line and ends a value at " #", so
// values are checked, not escaped: a hub URL with whitespace, a control
// character, '#' or '"' is refused, and a token that is not [A-Za-z0-9_]
// (what the hub issues), so neither can add keys or cut the line.
Result<void> check_conf_hub_url(const std::string& url);
Result<void> check_conf_token(const std::string& token);

// /etc/drover/agent.conf for drover-agent --config: hub, ca, signing-key,
// token, data-dir /var/lib/drover, labels, apply; insecure = true for ws://.
// plan.hub_url and plan.token must have passed the checks above.
std::string agent_conf(const ProvisionPlan& plan);

// drover-agent.service: restart always, state in /var/lib/drover
// (StateDirectory), and the sandboxing the apply target allows: the file
// system read-only but for the state directory and what the applier writes
// (dir:PATH, k3s-manifests' DIR); home directories hidden, or read-only for
// kube (a kubeconfig may live there); network for the hub and the API.
std::string systemd_unit(const ProvisionPlan& plan);

// --format k8s: Namespace, ServiceAccount, RBAC, the Secret holding
// agent.conf + ca.pem + signing.pub.pem (the token inside agent.conf) and
// the Deployment, as deploy/k3s/agent.yaml. Needs apply == "kube".
std::string kubernetes_yaml(const ProvisionPlan& plan);

}  // namespace drover::ctl
