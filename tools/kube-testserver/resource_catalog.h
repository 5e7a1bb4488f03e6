#pragma once
// Which resources the server serves, and the discovery documents that say
// so: /api, /api/v1, /apis, /apis/GROUP and /apis/GROUP/VERSION in the
// classic (unaggregated) form. Built-in kinds are fixed; custom resources
// come and go with their CustomResourceDefinitions (set_custom_types).
// Not thread-safe: the API server holds its lock around every use.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/kube-testserver/kube_status.h"

namespace drover::kts {

// The syntax a resource's object names must have.
enum class NameRule {
    subdomain,     // RFC 1123 subdomain: most kinds
    label,         // RFC 1123 label: Namespace
    dns1035,       // RFC 1035 label: Service
    path_segment,  // anything but "/", "%", "." and "..": RBAC kinds
};

struct ResourceType {
    std::string group, version, kind, plural, singular, list_kind;
    bool namespaced = true;
    std::vector<std::string> short_names, categories;
    bool status_subresource = false;
    // metadata.generation is kept and bumped when the spec changes.
    bool has_generation = false;
    // Served because a CRD says so: no built-in validation or list keys.
    bool custom = false;
    NameRule name_rule = NameRule::subdomain;

    std::string api_version() const { return group.empty() ? version : group + "/" + version; }
    GroupResource group_resource() const { return {group, plural}; }
};

// Kubernetes' version priority: GA before beta before alpha, higher numbers
// first, then other strings alphabetically ("v2" < "v1" < "v1beta1").
bool version_priority_before(std::string_view a, std::string_view b);

class ResourceCatalog {
public:
    ResourceCatalog();

    void set_custom_types(std::vector<ResourceType> types) { custom_ = std::move(types); }
    const std::vector<ResourceType>& builtin_types() const { return builtin_; }

    const ResourceType* find(std::string_view group, std::string_view version, std::string_view plural) const;
    const ResourceType* find_kind(std::string_view group, std::string_view version, std::string_view kind) const;
    // Every served version of group/plural (several for multi-version CRDs).
    std::vector<const ResourceType*> versions_of(std::string_view group, std::string_view plural) const;
    // A group whose name is taken by a built-in API (CRDs may not use it).
    bool is_builtin_group(std::string_view group) const;

    json core_versions(std::string_view server_address) const;                                  // /api
    json group_list() const;                                                                    // /apis
    std::optional<json> group(std::string_view name) const;                                     // /apis/G
    std::optional<json> resource_list(std::string_view group, std::string_view version) const;  // /api/v1, /apis/G/V

private:
    std::vector<const ResourceType*> all() const;
    std::vector<ResourceType> builtin_, custom_;
};

}  // namespace drover::kts
