#pragma once
// Sets of field paths, the currency of server-side apply: which fields a
// manager owns. Stored as a tree whose edges are path elements in the
// fieldsV1 spelling kube-apiserver uses in metadata.managedFields:
//   "f:name"                  a field of a map
//   "k:{\"name\":\"nginx\"}"  an item of an associative list, by its keys
//   "v:\"finalizer\""         an item of a set-like list, by its value
//   "i:3"                     an item of a list by position (rarely used)
// A node is a member when its path itself is in the set; fieldsV1 writes a
// member that also has members below it as {".": {}, ...}.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace drover::kts {

using json = nlohmann::json;
using FieldPath = std::vector<std::string>;

class FieldSet {
public:
    bool empty() const { return !member_ && children_.empty(); }
    void insert(const FieldPath& path);
    // path itself is in the set.
    bool contains(const FieldPath& path) const;
    // path or anything below it is in the set.
    bool touches(const FieldPath& path) const;
    // The subtree below path (empty when nothing is there).
    FieldSet at(const FieldPath& path) const;
    void unite(const FieldSet& other);
    void subtract(const FieldSet& other);
    FieldSet intersection(const FieldSet& other) const;
    // Every member path, parents before children.
    std::vector<FieldPath> members() const;
    bool has_members_below(const FieldPath& path) const;
    // Drops path and everything below it.
    void remove_subtree(const FieldPath& path);
    // The elements directly below the root.
    std::vector<std::string> top_elements() const;

    json to_fields_v1() const;
    // Refuses anything that is not fieldsV1: keys other than ".", "f:", "k:",
    // "v:" and "i:" elements, values other than objects, malformed keys.
    static Result<FieldSet> from_fields_v1(const json& fields);

    bool operator==(const FieldSet& other) const = default;

private:
    const FieldSet* find(const FieldPath& path) const;
    void collect(FieldPath& prefix, std::vector<FieldPath>& out) const;

    bool member_ = false;
    std::map<std::string, FieldSet> children_;
};

// Path elements.
std::string field_element(std::string_view name);
std::string key_element(const json& keys);  // keys: an object of the key fields
std::string value_element(const json& value);

// As Kubernetes prints paths in conflict messages:
// .spec.template.spec.containers[name="nginx"].image, .metadata.finalizers[="x"].
std::string path_string(const FieldPath& path);

// The default Kubernetes gives an absent key field of an associative list
// item ("protocol" of a port: "TCP"); null when it has none.
json key_field_default(std::string_view field);

// The value at path in an object; nullptr when absent.
const json* value_at(const json& root, const FieldPath& path);
json* value_at(json& root, const FieldPath& path);
// Removes the value at path (a map field or a list item). Maps left empty by
// the removal are removed too, up to (not including) the root. False when
// nothing was there.
bool remove_at(json& root, const FieldPath& path);

}  // namespace drover::kts
