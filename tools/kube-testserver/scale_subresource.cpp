#include "tools/kube-testserver/scale_subresource.h"

#include "tools/kube-testserver/json_access.h"

namespace drover::kts {

bool has_scale_subresource(const ResourceType& type) {
    return type.group == "apps" &&
           (type.kind == "Deployment" || type.kind == "StatefulSet" || type.kind == "ReplicaSet");
}

json scale_of(const json& workload) {
    json metadata = object_of(workload, "metadata");
    json scale_meta = json::object();
    for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
        if (metadata.contains(k)) scale_meta[k] = metadata[k];
    json spec = object_of(workload, "spec");
    std::string selector;
    const json match_labels = object_of(object_of(spec, "selector"), "matchLabels");
    for (const auto& [k, v] : match_labels.items())
        if (v.is_string()) selector += (selector.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    json status = object_of(workload, "status");
    return {{"kind", "Scale"},
            {"apiVersion", "autoscaling/v1"},
            {"metadata", scale_meta},
            {"spec", {{"replicas", spec.value("replicas", json(1))}}},
            {"status", {{"replicas", status.value("replicas", json(0))}, {"selector", selector}}}};
}

std::expected<int64_t, FieldError> replicas_of(const json& scale) {
    json spec = object_of(scale, "spec");
    auto it = spec.find("replicas");
    if (it == spec.end() || it->is_null()) return 0;  // Go's zero value
    if (!it->is_number_integer()) return std::unexpected(invalid_value("spec.replicas", *it, "must be an integer"));
    int64_t n = it->get<int64_t>();
    if (n < 0) return std::unexpected(invalid_value("spec.replicas", *it, "must be greater than or equal to 0"));
    return n;
}

}  // namespace drover::kts
