#include "tools/kube-testserver/field_schema.h"

#include <algorithm>
#include <set>

namespace drover::kts {

namespace {

bool under(const std::vector<std::string>& names, std::initializer_list<const char*> parents) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) {
        return std::any_of(parents.begin(), parents.end(), [&](const char* p) { return n == p; });
    });
}

// Kubernetes' associative lists (listType=map) and their keys, by field name.
ListSchema builtin_list(const std::vector<std::string>& names) {
    const std::string& name = names.back();
    using K = std::vector<std::string>;
    if (name == "containers" || name == "initContainers" || name == "ephemeralContainers" || name == "volumes" ||
        name == "imagePullSecrets" || name == "env")
        return {ListShape::associative, K{"name"}};
    if (name == "volumeMounts") return {ListShape::associative, K{"mountPath"}};
    if (name == "volumeDevices") return {ListShape::associative, K{"devicePath"}};
    if (name == "hostAliases") return {ListShape::associative, K{"ip"}};
    if (name == "conditions") return {ListShape::associative, K{"type"}};
    if (name == "topologySpreadConstraints") return {ListShape::associative, K{"topologyKey", "whenUnsatisfiable"}};
    if (name == "ports") {
        std::vector<std::string> parents(names.begin(), names.end() - 1);
        if (under(parents, {"containers", "initContainers", "ephemeralContainers"}))
            return {ListShape::associative, K{"containerPort", "protocol"}};
        return {ListShape::associative, K{"port", "protocol"}};
    }
    return {};
}

bool is_metadata_path(const std::vector<std::string>& names) {
    // metadata of the object itself, or of a pod template.
    return names.size() >= 2 && names[names.size() - 2] == "metadata";
}

void walk(const json& value, const FieldSchema& schema, std::vector<std::string>& names, FieldPath& path,
          FieldSet& out) {
    if (value.is_object() && (names.empty() || !schema.atomic_map(names))) {
        for (const auto& [key, child] : value.items()) {
            if (child.is_null()) continue;
            names.push_back(key);
            path.push_back(field_element(key));
            walk(child, schema, names, path, out);
            path.pop_back();
            names.pop_back();
        }
        return;
    }
    if (value.is_array()) {
        ListSchema ls = schema.list(names, value);
        if (ls.shape != ListShape::atomic) {
            for (const auto& item : value) {
                path.push_back(*item_element(item, ls));
                out.insert(path);
                if (ls.shape == ListShape::associative) walk(item, schema, names, path, out);
                path.pop_back();
            }
            return;
        }
    }
    out.insert(path);
}

}  // namespace

ListSchema FieldSchema::list(const std::vector<std::string>& names, const json& list) const {
    if (names.empty()) return {};
    ListSchema ls;
    if (names.size() == 2 && names[0] == "metadata" && names[1] == "finalizers")
        ls = {ListShape::set, {}};
    else if (names.size() == 2 && names[0] == "metadata" && names[1] == "ownerReferences")
        ls = {ListShape::associative, {"uid"}};
    else if (builtin_ && !is_metadata_path(names))
        ls = builtin_list(names);
    if (ls.shape == ListShape::atomic || !list.is_array()) return ls;
    // Items that cannot be told apart make the list atomic.
    std::set<std::string> seen;
    for (const auto& item : list) {
        auto element = item_element(item, ls);
        if (!element || !seen.insert(*element).second) return {};
        if (ls.shape == ListShape::set && (item.is_object() || item.is_array())) return {};
    }
    return ls;
}

bool FieldSchema::atomic_map(const std::vector<std::string>& names) const {
    if (names.empty()) return false;
    // LabelSelector and Service.spec.selector are atomic maps.
    return builtin_ && names.back() == "selector" && !is_metadata_path(names);
}

std::optional<json> item_key(const json& item, const std::vector<std::string>& keys) {
    if (!item.is_object()) return std::nullopt;
    json out = json::object();
    for (const auto& k : keys) {
        auto it = item.find(k);
        if (it != item.end() && !it->is_null()) {
            if (it->is_object() || it->is_array()) return std::nullopt;
            out[k] = *it;
            continue;
        }
        json fallback = key_field_default(k);
        if (fallback.is_null()) return std::nullopt;
        out[k] = fallback;
    }
    return out;
}

std::optional<std::string> item_element(const json& item, const ListSchema& schema) {
    if (schema.shape == ListShape::set) return value_element(item);
    if (schema.shape != ListShape::associative) return std::nullopt;
    auto key = item_key(item, schema.keys);
    if (!key) return std::nullopt;
    return key_element(*key);
}

FieldSet fields_of(const json& value, const FieldSchema& schema) {
    FieldSet out;
    std::vector<std::string> names;
    FieldPath path;
    walk(value, schema, names, path, out);
    return out;
}

}  // namespace drover::kts
