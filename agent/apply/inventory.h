#pragma once
// What an applier created for a bundle: the keys of the objects it made live.
// The reconciler stores the inventory with the applied bundle and hands it
// back for drift checks and pruning, so an applier never has to guess which
// objects are its own.
#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace drover::apply {

struct ObjectKey {
    std::string api_version;
    std::string kind;
    std::string ns;  // empty for cluster-scoped objects
    std::string name;

    auto operator<=>(const ObjectKey&) const = default;
};

// Sorted, without duplicates.
using Inventory = std::vector<ObjectKey>;

// apiVersion, kind and metadata.name must be non-empty strings;
// metadata.namespace, when present, a string.
Result<ObjectKey> object_key(const nlohmann::json& object);
// "ConfigMap web/settings", "Namespace web": for status messages.
std::string describe(const ObjectKey& key);

Inventory make_inventory(std::vector<ObjectKey> keys);
Inventory merge(const Inventory& a, const Inventory& b);

// Stored form: a JSON array of {apiVersion, kind, namespace, name}.
std::string inventory_to_json(const Inventory& inventory);
Result<Inventory> inventory_from_json(std::string_view json);

}  // namespace drover::apply
