#pragma once
// A Kubernetes resource as discovery names it, and the REST paths of its
// collections and objects.
#include <string>
#include <string_view>

namespace drover::kube {

struct Resource {
    std::string group;    // "" for the core group
    std::string version;  // "v1"
    std::string kind;     // "Deployment"
    std::string plural;   // "deployments"
    bool namespaced = true;

    std::string api_version() const;  // "apps/v1", "v1"
    // "/api/v1/namespaces/web/configmaps", "/apis/apps/v1/deployments" (all
    // namespaces, or a cluster-scoped resource: ns is ignored then).
    std::string collection_path(std::string_view ns) const;
    std::string object_path(std::string_view ns, std::string_view name) const;
};

// "apps/v1" -> {"apps", "v1"}; "v1" -> {"", "v1"}.
std::string_view group_of(std::string_view api_version);
std::string_view version_of(std::string_view api_version);

// One escaped path segment: never "." or "..", never a '/'.
std::string path_segment(std::string_view s);

}  // namespace drover::kube
