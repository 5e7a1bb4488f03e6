#include "agent/apply/inventory.h"

#include <algorithm>

#include "common/text.h"

namespace drover::apply {

using nlohmann::json;

static const json* string_field(const json& object, const char* name) {
    auto it = object.find(name);
    if (it == object.end() || !it->is_string()) return nullptr;
    return &*it;
}

Result<ObjectKey> object_key(const json& object) {
    if (!object.is_object()) return fail("object is not a JSON object");
    const json* api = string_field(object, "apiVersion");
    const json* kind = string_field(object, "kind");
    if (!api || api->get_ref<const std::string&>().empty()) return fail("object has no apiVersion");
    if (!kind || kind->get_ref<const std::string&>().empty()) return fail("object has no kind");
    auto meta = object.find("metadata");
    if (meta == object.end() || !meta->is_object())
        return fail(cat(kind->get<std::string>(), " has no metadata"));
    const json* name = string_field(*meta, "name");
    if (!name || name->get_ref<const std::string&>().empty())
        return fail(cat(kind->get<std::string>(), " has no metadata.name"));
    ObjectKey key{api->get<std::string>(), kind->get<std::string>(), "", name->get<std::string>()};
    if (auto ns = meta->find("namespace"); ns != meta->end() && !ns->is_null()) {
        if (!ns->is_string()) return fail(cat(describe(key), " has a metadata.namespace that is not a string"));
        key.ns = ns->get<std::string>();
    }
    return key;
}

std::string describe(const ObjectKey& key) {
    return key.ns.empty() ? cat(key.kind, " ", key.name) : cat(key.kind, " ", key.ns, "/", key.name);
}

Inventory make_inventory(std::vector<ObjectKey> keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

Inventory merge(const Inventory& a, const Inventory& b) {
    std::vector<ObjectKey> all(a);
    all.insert(all.end(), b.begin(), b.end());
    return make_inventory(std::move(all));
}

std::string inventory_to_json(const Inventory& inventory) {
    json out = json::array();
    for (auto& k : inventory)
        out.push_back({{"apiVersion", k.api_version}, {"kind", k.kind}, {"namespace", k.ns}, {"name", k.name}});
    return out.dump();
}

Result<Inventory> inventory_from_json(std::string_view text) {
    json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array()) return fail("stored inventory is not a JSON array");
    std::vector<ObjectKey> keys;
    for (auto& entry : parsed) {
        if (!entry.is_object()) return fail("stored inventory entry is not an object");
        ObjectKey key;
        for (auto [field, target] : {std::pair{"apiVersion", &key.api_version}, std::pair{"kind", &key.kind},
                                     std::pair{"namespace", &key.ns}, std::pair{"name", &key.name}}) {
            const json* v = string_field(entry, field);
            if (!v) return fail(cat("stored inventory entry lacks ", field));
            *target = v->get<std::string>();
        }
        keys.push_back(std::move(key));
    }
    return make_inventory(std::move(keys));
}

}  // namespace drover::apply
