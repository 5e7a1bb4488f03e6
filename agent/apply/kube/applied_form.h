#pragma once
// An object exactly as the kube applier sends it, so that apply and the
// drift check agree on what drover manages:
//  - metadata.labels gains drover.dev/bundle: <bundle> (the mark prune and
//    people go by; the inventory in the agent's cache is the authority);
//  - a namespaced object without a namespace goes to "default" (the hub
//    already renders the bundle's namespace into every object it knows to
//    be namespaced);
//  - a cluster-scoped object loses any namespace (the hub cannot know the
//    scope of a custom kind whose CRD is not in the bundle).
#include <string_view>

#include <nlohmann/json.hpp>

namespace drover::kube {

constexpr const char* kBundleLabel = "drover.dev/bundle";
constexpr const char* kDefaultNamespace = "default";

nlohmann::json applied_form(const nlohmann::json& object, std::string_view bundle, bool namespaced);

}  // namespace drover::kube
