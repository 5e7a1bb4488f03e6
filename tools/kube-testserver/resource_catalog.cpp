#include "tools/kube-testserver/resource_catalog.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "tools/kube-testserver/scale_subresource.h"

namespace drover::kts {

namespace {

struct Builtin {
    const char* group;
    const char* version;
    const char* kind;
    const char* plural;
    bool namespaced;
    std::vector<std::string> short_names;
    bool status;
    bool generation;
    NameRule rule;
    bool in_category_all;
};

// What a small K3s cluster serves that bundles commonly carry.
std::vector<Builtin> builtin_table() {
    using R = NameRule;
    return {
        {"", "v1", "Namespace", "namespaces", false, {"ns"}, true, false, R::label, false},
        {"", "v1", "ConfigMap", "configmaps", true, {"cm"}, false, false, R::subdomain, false},
        {"", "v1", "Secret", "secrets", true, {}, false, false, R::subdomain, false},
        {"", "v1", "Service", "services", true, {"svc"}, true, false, R::dns1035, true},
        {"", "v1", "ServiceAccount", "serviceaccounts", true, {"sa"}, false, false, R::subdomain, false},
        {"", "v1", "Pod", "pods", true, {"po"}, true, false, R::subdomain, true},
        {"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"}, true, false, R::subdomain, false},
        {"", "v1", "PersistentVolume", "persistentvolumes", false, {"pv"}, true, false, R::subdomain, false},
        {"", "v1", "Event", "events", true, {"ev"}, false, false, R::subdomain, false},
        {"", "v1", "Endpoints", "endpoints", true, {"ep"}, false, false, R::subdomain, false},
        {"", "v1", "Node", "nodes", false, {"no"}, true, false, R::subdomain, false},
        {"", "v1", "ResourceQuota", "resourcequotas", true, {"quota"}, true, false, R::subdomain, false},
        {"", "v1", "LimitRange", "limitranges", true, {"limits"}, false, false, R::subdomain, false},
        {"apps", "v1", "Deployment", "deployments", true, {"deploy"}, true, true, R::subdomain, true},
        {"apps", "v1", "StatefulSet", "statefulsets", true, {"sts"}, true, true, R::subdomain, true},
        {"apps", "v1", "DaemonSet", "daemonsets", true, {"ds"}, true, true, R::subdomain, true},
        {"apps", "v1", "ReplicaSet", "replicasets", true, {"rs"}, true, true, R::subdomain, true},
        {"batch", "v1", "Job", "jobs", true, {}, true, true, R::subdomain, true},
        {"batch", "v1", "CronJob", "cronjobs", true, {"cj"}, true, true, R::subdomain, true},
        {"rbac.authorization.k8s.io", "v1", "Role", "roles", true, {}, false, false, R::path_segment, false},
        {"rbac.authorization.k8s.io",
         "v1",
         "RoleBinding",
         "rolebindings",
         true,
         {},
         false,
         false,
         R::path_segment,
         false},
        {"rbac.authorization.k8s.io",
         "v1",
         "ClusterRole",
         "clusterroles",
         false,
         {},
         false,
         false,
         R::path_segment,
         false},
        {"rbac.authorization.k8s.io",
         "v1",
         "ClusterRoleBinding",
         "clusterrolebindings",
         false,
         {},
         false,
         false,
         R::path_segment,
         false},
        {"apiextensions.k8s.io",
         "v1",
         "CustomResourceDefinition",
         "customresourcedefinitions",
         false,
         {"crd", "crds"},
         true,
         true,
         R::subdomain,
         false},
        {"networking.k8s.io", "v1", "Ingress", "ingresses", true, {"ing"}, true, true, R::subdomain, false},
        {"networking.k8s.io",
         "v1",
         "NetworkPolicy",
         "networkpolicies",
         true,
         {"netpol"},
         false,
         true,
         R::subdomain,
         false},
        {"networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, {}, false, false, R::subdomain, false},
        {"policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, {"pdb"}, true, true, R::subdomain, false},
        {"autoscaling",
         "v2",
         "HorizontalPodAutoscaler",
         "horizontalpodautoscalers",
         true,
         {"hpa"},
         true,
         false,
         R::subdomain,
         true},
        {"storage.k8s.io", "v1", "StorageClass", "storageclasses", false, {"sc"}, false, false, R::subdomain, false},
        {"coordination.k8s.io", "v1", "Lease", "leases", true, {}, false, false, R::subdomain, false},
    };
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

struct KubeVersion {
    int stage = -1;  // 2 GA, 1 beta, 0 alpha, -1 not a Kubernetes version
    long major = 0, minor = 0;
};

KubeVersion parse_kube_version(std::string_view v) {
    KubeVersion out;
    if (v.size() < 2 || v[0] != 'v' || !std::isdigit(static_cast<unsigned char>(v[1]))) return out;
    size_t i = 1;
    long major = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) major = major * 10 + (v[i++] - '0');
    if (i == v.size()) return {2, major, 0};
    std::string_view rest = v.substr(i);
    int stage;
    if (rest.starts_with("beta"))
        stage = 1, rest.remove_prefix(4);
    else if (rest.starts_with("alpha"))
        stage = 0, rest.remove_prefix(5);
    else
        return out;
    if (rest.empty()) return out;
    long minor = 0;
    for (char c : rest) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return out;
        minor = minor * 10 + (c - '0');
    }
    return {stage, major, minor};
}

const std::vector<std::string> kVerbs = {"create", "delete", "deletecollection", "get",
                                         "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kSubresourceVerbs = {"get", "patch", "update"};

json resource_entry(const ResourceType& t) {
    json r = {{"name", t.plural},
              {"singularName", t.singular},
              {"namespaced", t.namespaced},
              {"kind", t.kind},
              {"verbs", kVerbs}};
    if (!t.short_names.empty()) r["shortNames"] = t.short_names;
    if (!t.categories.empty()) r["categories"] = t.categories;
    return r;
}

json version_entry(std::string_view group, std::string_view version) {
    return {{"groupVersion", std::string(group) + "/" + std::string(version)}, {"version", version}};
}

}  // namespace

bool version_priority_before(std::string_view a, std::string_view b) {
    KubeVersion va = parse_kube_version(a), vb = parse_kube_version(b);
    if (va.stage != vb.stage) return va.stage > vb.stage;
    if (va.stage < 0) return a < b;
    if (va.major != vb.major) return va.major > vb.major;
    return va.minor > vb.minor;
}

ResourceCatalog::ResourceCatalog() {
    for (const auto& b : builtin_table()) {
        ResourceType t;
        t.group = b.group;
        t.version = b.version;
        t.kind = b.kind;
        t.plural = b.plural;
        t.singular = lower(b.kind);
        t.list_kind = t.kind + "List";
        t.namespaced = b.namespaced;
        t.short_names = b.short_names;
        if (b.in_category_all) t.categories = {"all"};
        t.status_subresource = b.status;
        t.has_generation = b.generation;
        t.name_rule = b.rule;
        builtin_.push_back(std::move(t));
    }
}

std::vector<const ResourceType*> ResourceCatalog::all() const {
    std::vector<const ResourceType*> out;
    for (const auto& t : builtin_) out.push_back(&t);
    for (const auto& t : custom_) out.push_back(&t);
    return out;
}

const ResourceType* ResourceCatalog::find(std::string_view group, std::string_view version,
                                          std::string_view plural) const {
    for (const ResourceType* t : all())
        if (t->group == group && t->version == version && t->plural == plural) return t;
    return nullptr;
}

const ResourceType* ResourceCatalog::find_kind(std::string_view group, std::string_view version,
                                               std::string_view kind) const {
    for (const ResourceType* t : all())
        if (t->group == group && t->version == version && t->kind == kind) return t;
    return nullptr;
}

std::vector<const ResourceType*> ResourceCatalog::versions_of(std::string_view group, std::string_view plural) const {
    std::vector<const ResourceType*> out;
    for (const ResourceType* t : all())
        if (t->group == group && t->plural == plural) out.push_back(t);
    return out;
}

bool ResourceCatalog::is_builtin_group(std::string_view group) const {
    return std::any_of(builtin_.begin(), builtin_.end(), [&](const ResourceType& t) { return t.group == group; });
}

json ResourceCatalog::core_versions(std::string_view server_address) const {
    return {{"kind", "APIVersions"},
            {"versions", {"v1"}},
            {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

std::optional<json> ResourceCatalog::group(std::string_view name) const {
    if (name.empty()) return std::nullopt;
    std::set<std::string> versions;
    for (const ResourceType* t : all())
        if (t->group == name) versions.insert(t->version);
    if (versions.empty()) return std::nullopt;
    std::vector<std::string> ordered(versions.begin(), versions.end());
    std::sort(ordered.begin(), ordered.end(),
              [](const std::string& a, const std::string& b) { return version_priority_before(a, b); });
    json entries = json::array();
    for (const auto& v : ordered) entries.push_back(version_entry(name, v));
    return json{{"kind", "APIGroup"},
                {"apiVersion", "v1"},
                {"name", name},
                {"versions", entries},
                {"preferredVersion", version_entry(name, ordered.front())}};
}

json ResourceCatalog::group_list() const {
    std::vector<std::string> names;
    for (const ResourceType* t : all())
        if (!t->group.empty() && std::find(names.begin(), names.end(), t->group) == names.end())
            names.push_back(t->group);
    json groups = json::array();
    for (const auto& name : names) {
        json g = *group(name);
        g.erase("kind");
        g.erase("apiVersion");
        groups.push_back(std::move(g));
    }
    return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<json> ResourceCatalog::resource_list(std::string_view group, std::string_view version) const {
    json resources = json::array();
    for (const ResourceType* t : all()) {
        if (t->group != group || t->version != version) continue;
        resources.push_back(resource_entry(*t));
        if (t->status_subresource)
            resources.push_back({{"name", t->plural + "/status"},
                                 {"singularName", ""},
                                 {"namespaced", t->namespaced},
                                 {"kind", t->kind},
                                 {"verbs", kSubresourceVerbs}});
        if (has_scale_subresource(*t))
            resources.push_back({{"name", t->plural + "/scale"},
                                 {"singularName", ""},
                                 {"namespaced", t->namespaced},
                                 {"group", "autoscaling"},
                                 {"version", "v1"},
                                 {"kind", "Scale"},
                                 {"verbs", kSubresourceVerbs}});
    }
    if (resources.empty()) return std::nullopt;
    std::string group_version = group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
    return json{
        {"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", group_version}, {"resources", resources}};
}

}  // namespace drover::kts
