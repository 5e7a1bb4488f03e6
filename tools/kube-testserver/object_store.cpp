#include "tools/kube-testserver/object_store.h"

namespace drover::kts {

const json* ObjectStore::get(const ObjectKey& key) const {
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
}

std::vector<std::pair<ObjectKey, const json*>> ObjectStore::list(const std::string& group, const std::string& resource,
                                                                 const std::optional<std::string>& ns) const {
    std::vector<std::pair<ObjectKey, const json*>> out;
    auto it = objects_.lower_bound(ObjectKey{group, resource, ns.value_or(""), ""});
    for (; it != objects_.end(); ++it) {
        const ObjectKey& k = it->first;
        if (k.group != group || k.resource != resource || (ns && k.ns != *ns)) break;
        out.emplace_back(k, &it->second);
    }
    return out;
}

void ObjectStore::put(const ObjectKey& key, json object, uint64_t version) {
    auto it = objects_.find(key);
    StoreEvent event{version, it == objects_.end() ? "ADDED" : "MODIFIED", key, object, nullptr};
    if (it != objects_.end()) {
        event.previous = std::move(it->second);
        it->second = std::move(object);
    } else {
        objects_.emplace(key, std::move(object));
    }
    log(std::move(event));
}

std::optional<json> ObjectStore::erase(const ObjectKey& key) {
    auto it = objects_.find(key);
    if (it == objects_.end()) return std::nullopt;
    json object = std::move(it->second);
    objects_.erase(it);
    uint64_t version = next_version();
    object["metadata"]["resourceVersion"] = std::to_string(version);
    log(StoreEvent{version, "DELETED", key, object, nullptr});
    return object;
}

std::vector<ObjectKey> ObjectStore::keys_in_namespace(const std::string& ns) const {
    std::vector<ObjectKey> out;
    for (const auto& [key, object] : objects_)
        if (key.ns == ns) out.push_back(key);
    return out;
}

std::vector<ObjectKey> ObjectStore::keys_of(const std::string& group, const std::string& resource) const {
    std::vector<ObjectKey> out;
    for (const auto& [key, object] : list(group, resource, std::nullopt)) out.push_back(key);
    return out;
}

std::vector<ObjectKey> ObjectStore::dependents_of(const std::string& uid) const {
    std::vector<ObjectKey> out;
    for (const auto& [key, object] : objects_) {
        const json& refs = object["metadata"].value("ownerReferences", json::array());
        if (!refs.is_array()) continue;
        for (const auto& ref : refs)
            if (ref.is_object() && ref.contains("uid") && ref["uid"] == uid) {
                out.push_back(key);
                break;
            }
    }
    return out;
}

std::optional<std::vector<const StoreEvent*>> ObjectStore::events_after(uint64_t version) const {
    if (version < first_logged_) return std::nullopt;
    std::vector<const StoreEvent*> out;
    for (const auto& e : events_)
        if (e.version > version) out.push_back(&e);
    return out;
}

void ObjectStore::log(StoreEvent event) {
    events_.push_back(std::move(event));
    while (events_.size() > kEventLogSize) {
        first_logged_ = events_.front().version;
        events_.pop_front();
    }
}

}  // namespace drover::kts
