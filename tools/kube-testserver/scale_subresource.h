#pragma once
// The /scale subresource of Deployments, StatefulSets and ReplicaSets: an
// autoscaling/v1 Scale view of the workload's replicas, which kubectl scale
// reads and patches.
#include <cstdint>
#include <expected>

#include <nlohmann/json.hpp>

#include "tools/kube-testserver/kube_status.h"
#include "tools/kube-testserver/resource_catalog.h"

namespace drover::kts {

using json = nlohmann::json;

bool has_scale_subresource(const ResourceType& type);
// {"kind": "Scale", "apiVersion": "autoscaling/v1", metadata, spec.replicas,
// status.replicas and status.selector ("app=web").
json scale_of(const json& workload);
// The replicas a Scale asks for, or the field error that refuses it.
std::expected<int64_t, FieldError> replicas_of(const json& scale);

}  // namespace drover::kts
