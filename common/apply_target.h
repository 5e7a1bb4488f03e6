#pragma once
// The --apply value an agent runs with, parsed once for the agent and for
// droverctl provision (which writes it into agent.conf and sandboxes the
// systemd unit to the directory it names).
//   dir:PATH              JSON files, for plain devices, demos and tests
//   kube                  the Kubernetes API (kubeconfig or in-cluster)
//   k3s-manifests[:DIR]   K3s's auto-deploy directory (default kK3sManifestsDir)
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover {

constexpr const char* kK3sManifestsDir = "/var/lib/rancher/k3s/server/manifests";

struct ApplyTarget {
    enum class Kind { dir, kube, k3s_manifests } kind = Kind::dir;
    std::string dir;  // dir: and k3s-manifests; empty for kube
};

// Errors name what is wrong without naming the option (callers prefix it).
Result<ApplyTarget> parse_apply_target(std::string_view text);

}  // namespace drover
