#include "agent/apply/kube/applied_form.h"

namespace drover::kube {

using nlohmann::json;

json applied_form(const json& object, std::string_view bundle, bool namespaced) {
    json out = object;
    json& meta = out["metadata"];
    if (!meta.is_object()) meta = json::object();
    json& labels = meta["labels"];
    if (!labels.is_object()) labels = json::object();
    labels[kBundleLabel] = std::string(bundle);
    auto ns = meta.find("namespace");
    bool has_ns = ns != meta.end() && ns->is_string() && !ns->get_ref<const std::string&>().empty();
    if (namespaced && !has_ns) meta["namespace"] = kDefaultNamespace;
    if (!namespaced && ns != meta.end()) meta.erase(ns);
    return out;
}

}  // namespace drover::kube
