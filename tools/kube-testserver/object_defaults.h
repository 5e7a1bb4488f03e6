#pragma once
// The few defaults kube-apiserver fills in that clients read back:
// replicas of scalable workloads, a Service's type and cluster IP, a
// Namespace's kubernetes.io/metadata.name label, the
// initial status phase of Namespaces, Pods and PersistentVolumeClaims, a
// Secret's type, and Secret stringData folded into base64 data. Defaulted
// fields belong to no field manager, as with the real server.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/kube-testserver/resource_catalog.h"

namespace drover::kts {

using json = nlohmann::json;

struct DefaultsContext {
    const json* old = nullptr;  // the stored object on update, nullptr on create
    std::function<std::string()> allocate_cluster_ip;
};

// Fills defaults into object; a decoding problem (Secret data that is not
// base64) is returned as the 400 message.
std::optional<std::string> apply_defaults(const ResourceType& type, json& object, const DefaultsContext& context);

}  // namespace drover::kts
