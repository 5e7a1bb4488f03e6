#pragma once
// The objects the server holds, keyed by group, resource, namespace and
// name, with one global resourceVersion counter (as etcd's revision) and a
// bounded log of changes for watches. Versions are not part of the key: an
// object of a multi-version CRD is one object, its apiVersion set on read.
// Not thread-safe: the Cluster holds its lock around every use.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace drover::kts {

using json = nlohmann::json;

struct ObjectKey {
    std::string group, resource, ns, name;
    auto operator<=>(const ObjectKey&) const = default;
};

struct StoreEvent {
    uint64_t version;
    std::string type;  // ADDED, MODIFIED, DELETED
    ObjectKey key;
    json object;    // after the change (DELETED: the last state)
    json previous;  // before the change (MODIFIED only)
};

class ObjectStore {
public:
    // Events kept for watches that resume from a resourceVersion.
    static constexpr size_t kEventLogSize = 10000;

    uint64_t version() const { return version_; }
    // Advances the counter and returns the new version.
    uint64_t next_version() { return ++version_; }

    const json* get(const ObjectKey& key) const;
    // Sorted by namespace, then name; ns nullopt: every namespace.
    std::vector<std::pair<ObjectKey, const json*>> list(const std::string& group, const std::string& resource,
                                                        const std::optional<std::string>& ns) const;
    // Stores object (its metadata.resourceVersion already stamped with
    // version) and logs an ADDED or MODIFIED event.
    void put(const ObjectKey& key, json object, uint64_t version);
    // Removes and logs DELETED at a new version; the removed object, with
    // that resourceVersion, or nullopt.
    std::optional<json> erase(const ObjectKey& key);
    // Every object of a namespace, of any resource.
    std::vector<ObjectKey> keys_in_namespace(const std::string& ns) const;
    std::vector<ObjectKey> keys_of(const std::string& group, const std::string& resource) const;
    // Keys of objects with an ownerReference to uid.
    std::vector<ObjectKey> dependents_of(const std::string& uid) const;

    // Events after version; nullopt when version is older than the log.
    std::optional<std::vector<const StoreEvent*>> events_after(uint64_t version) const;

private:
    void log(StoreEvent event);

    std::map<ObjectKey, json> objects_;
    std::deque<StoreEvent> events_;
    uint64_t version_ = 1;
    uint64_t first_logged_ = 1;  // events after this version are all in the log
};

}  // namespace drover::kts
