#pragma once
// metadata.managedFields: which manager owns which fields, and how writes
// that are not server-side apply (create, PUT, merge patch, status
// updates) change ownership. The field-level rules of apply itself are in
// server_side_apply.h.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tools/kube-testserver/field_schema.h"
#include "tools/kube-testserver/field_set.h"

namespace drover::kts {

using json = nlohmann::json;

struct ManagedFieldsEntry {
    std::string manager;
    std::string operation;  // "Apply" or "Update"
    std::string api_version;
    std::string time;  // RFC 3339, seconds
    std::string subresource;
    FieldSet fields;

    // Entries are keyed by manager, operation and subresource.
    bool same_owner(const ManagedFieldsEntry& o) const {
        return manager == o.manager && operation == o.operation && subresource == o.subresource;
    }
    // As conflict messages name it: "kubectl", "\"kubectl-edit\" using v1 at T".
    std::string describe() const;
};

using ManagedFields = std::vector<ManagedFieldsEntry>;

// From metadata.managedFields; absent means none. Malformed entries are an
// error naming the entry.
Result<ManagedFields> read_managed_fields(const json& object);
// Sets metadata.managedFields (removes it when there are none).
void write_managed_fields(json& object, const ManagedFields& entries);

// Which part of an object a write may own: every field but identity and
// server-set metadata (kinds without a status subresource), all but
// .status (the main resource when there is one), or only .status (the
// status subresource).
enum class FieldScope { whole, main_without_status, status_only };

FieldSet tracked_fields(const json& object, const FieldSchema& schema, FieldScope scope);

struct UpdateWrite {
    std::string manager, subresource, api_version, time;
    FieldScope scope = FieldScope::whole;
};

// Ownership after an Update operation from old (nullptr: a create) to
// updated: the writer takes every field it added or changed, also from
// other managers (updates never conflict); fields that disappeared leave
// every manager; managers left with nothing are dropped.
void record_update(ManagedFields& entries, const json* old, const json& updated, const FieldSchema& schema,
                   const UpdateWrite& write);

// The field manager of a request without ?fieldManager: the User-Agent up
// to its first '/', at most 128 characters ("kubectl/v1.32.4 ..." ->
// "kubectl").
std::string manager_from_user_agent(std::string_view user_agent);

}  // namespace drover::kts
