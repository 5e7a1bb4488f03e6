#pragma once
// Where a bundle's objects live: cluster-scoped or in a namespace, which
// namespace, and so which objects are the same object twice.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hub/render/manifests.h"
#include "hub/render/problem.h"

namespace drover::render {

class Scope {
public:
    // Built-in cluster-scoped kinds (kinds.h) plus the kinds of the
    // bundle's own CustomResourceDefinitions with spec.scope Cluster.
    explicit Scope(const std::vector<SourceObject>& objects);
    bool cluster_scoped(std::string_view kind) const;

private:
    std::set<std::string, std::less<>> crd_cluster_kinds_;
};

// Every namespaced object gets metadata.namespace = ns when the bundle sets
// one; otherwise it keeps its own, or gets "default" if it has none.
// Cluster-scoped objects are left as they are.
void place_in_namespaces(std::vector<SourceObject>& objects, std::string_view ns, const Scope& scope);

// "apps/Deployment web/nginx", "Namespace web": how problems name an object.
std::string object_name(const nlohmann::json& object, const Scope& scope);

// Reports every object whose (API group, kind, namespace, name) repeats an
// earlier one's. context ("in customization \"small\"") is appended when set.
void report_duplicates(const std::vector<SourceObject>& objects, const Scope& scope, std::string_view context,
                       Problems& problems);

}  // namespace drover::render
