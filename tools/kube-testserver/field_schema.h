#pragma once
// How server-side apply addresses the parts of an object, standing in for
// the OpenAPI schemas kube-apiserver merges with:
// - maps are granular (each field owned separately), except atomic ones
//   (label selectors: the whole map is one field);
// - lists are atomic (owned and replaced whole) unless Kubernetes declares
//   them associative (items keyed, e.g. containers by name, ports by
//   containerPort+protocol) or sets (metadata.finalizers).
// Built-in kinds use a table of Kubernetes' list keys; custom resources
// treat every list as atomic, which is what a CRD schema without
// x-kubernetes-list-type means. ObjectMeta is the same for both.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/kube-testserver/field_set.h"

namespace drover::kts {

using json = nlohmann::json;

enum class ListShape { atomic, associative, set };

struct ListSchema {
    ListShape shape = ListShape::atomic;
    std::vector<std::string> keys;  // associative only
};

class FieldSchema {
public:
    explicit FieldSchema(bool builtin_kind) : builtin_(builtin_kind) {}
    // names: the field names from the root to the list, list items skipped
    // ({"spec", "template", "spec", "containers"}). A list whose items do not
    // all carry distinct keys is treated as atomic.
    ListSchema list(const std::vector<std::string>& names, const json& list) const;
    bool atomic_map(const std::vector<std::string>& names) const;

private:
    bool builtin_;
};

// The key object of an associative list item (absent key fields take their
// Kubernetes default); nullopt when a key field is missing without default.
std::optional<json> item_key(const json& item, const std::vector<std::string>& keys);

// The element naming a list item under schema (k:, v:), or nullopt.
std::optional<std::string> item_element(const json& item, const ListSchema& schema);

// Every field the value sets: leaves, atomic lists and maps, and list items.
FieldSet fields_of(const json& value, const FieldSchema& schema);

}  // namespace drover::kts
