#include "hub/render/object_scope.h"

#include <map>
#include <tuple>

#include "common/text.h"
#include "hub/render/kinds.h"

namespace drover::render {

using nlohmann::json;

static std::string text(const json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Scope::Scope(const std::vector<SourceObject>& objects) {
    for (auto& o : objects) {
        if (text(o.value, "kind") != "CustomResourceDefinition") continue;
        auto spec = o.value.find("spec");
        if (spec == o.value.end() || !spec->is_object() || text(*spec, "scope") != "Cluster") continue;
        auto names = spec->find("names");
        if (names != spec->end() && names->is_object() && !text(*names, "kind").empty())
            crd_cluster_kinds_.insert(text(*names, "kind"));
    }
}

bool Scope::cluster_scoped(std::string_view kind) const {
    return builtin_cluster_scoped(kind) || crd_cluster_kinds_.contains(kind);
}

void place_in_namespaces(std::vector<SourceObject>& objects, std::string_view ns, const Scope& scope) {
    for (auto& o : objects) {
        if (scope.cluster_scoped(text(o.value, "kind"))) continue;
        json& meta = o.value["metadata"];
        if (!ns.empty()) meta["namespace"] = std::string(ns);
        else if (text(meta, "namespace").empty()) meta["namespace"] = "default";
    }
}

using ObjectKey = std::tuple<std::string, std::string, std::string, std::string>;  // group, kind, namespace, name

static ObjectKey key_of(const json& o, const Scope& scope) {
    std::string kind = text(o, "kind");
    const json& meta = o.at("metadata");
    std::string ns = scope.cluster_scoped(kind) ? "" : text(meta, "namespace");
    return {std::string(api_group(text(o, "apiVersion"))), kind, ns, text(meta, "name")};
}

std::string object_name(const json& o, const Scope& scope) {
    auto [group, kind, ns, name] = key_of(o, scope);
    return cat(group.empty() ? "" : group + "/", kind, " ", ns.empty() ? "" : ns + "/", name);
}

void report_duplicates(const std::vector<SourceObject>& objects, const Scope& scope, std::string_view context,
                       Problems& problems) {
    std::map<ObjectKey, const SourceObject*> seen;
    for (auto& o : objects) {
        auto [it, fresh] = seen.emplace(key_of(o.value, scope), &o);
        if (fresh) continue;
        const SourceObject& first = *it->second;
        problems.add(o.file, o.line,
                     cat("duplicate object ", object_name(o.value, scope), ", first defined at ", first.file, ":", first.line,
                         context.empty() ? "" : " ", context));
    }
}

}  // namespace drover::render
