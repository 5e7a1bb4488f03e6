#include "tools/kube-testserver/object_defaults.h"

#include "common/text.h"
#include "tools/kube-testserver/base64.h"

namespace drover::kts {

namespace {

std::optional<std::string> secret_defaults(json& object) {
    if (!object.contains("type")) object["type"] = "Opaque";
    if (object.contains("data") && object["data"].is_object()) {
        for (const auto& [k, v] : object["data"].items())
            if (v.is_string() && !base64_decode(v.get<std::string>()))
                return cat("Secret data[", quoted(k), "]: illegal base64 data");
    }
    if (object.contains("stringData") && object["stringData"].is_object()) {
        for (const auto& [k, v] : object["stringData"].items())
            if (v.is_string()) object["data"][k] = base64_encode(v.get<std::string>());
        object.erase("stringData");
    }
    return std::nullopt;
}

void service_defaults(json& object, const DefaultsContext& context) {
    json& spec = object["spec"];
    if (!spec.contains("type")) spec["type"] = "ClusterIP";
    if (spec["type"] == "ExternalName" || spec.contains("clusterIP")) return;
    const json* old = context.old;
    if (old != nullptr && old->contains("spec") && (*old)["spec"].contains("clusterIP")) {
        spec["clusterIP"] = (*old)["spec"]["clusterIP"];
        spec["clusterIPs"] = (*old)["spec"].value("clusterIPs", json::array({(*old)["spec"]["clusterIP"]}));
        return;
    }
    if (context.allocate_cluster_ip) {
        std::string ip = context.allocate_cluster_ip();
        spec["clusterIP"] = ip;
        spec["clusterIPs"] = json::array({ip});
    }
}

}  // namespace

std::optional<std::string> apply_defaults(const ResourceType& type, json& object, const DefaultsContext& context) {
    if (type.custom) return std::nullopt;
    bool creating = context.old == nullptr;
    const std::string& kind = type.kind;
    if (kind == "Secret") return secret_defaults(object);
    if (kind == "Service") service_defaults(object, context);
    if (kind == "Namespace" && object["metadata"].contains("name"))
        object["metadata"]["labels"]["kubernetes.io/metadata.name"] = object["metadata"]["name"];
    if ((kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet") &&
        (!object.contains("spec") || !object["spec"].contains("replicas")))
        object["spec"]["replicas"] = 1;
    if (creating && type.status_subresource) {
        if (kind == "Namespace")
            object["status"] = {{"phase", "Active"}};
        else if (kind == "Pod" || kind == "PersistentVolumeClaim")
            object["status"] = {{"phase", "Pending"}};
        else if (!object.contains("status"))
            object["status"] = json::object();
    }
    return std::nullopt;
}

}  // namespace drover::kts
