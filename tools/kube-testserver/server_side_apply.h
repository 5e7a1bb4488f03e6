#pragma once
// Server-side apply (PATCH with application/apply-patch+yaml), after
// Kubernetes' structured-merge-diff:
// - the applied configuration's fields become the manager's field set;
// - a field another manager owns whose live value differs from the applied
//   one is a conflict: the apply fails (409) unless forced, and forcing
//   takes the field from that manager;
// - the configuration is merged into the live object (maps field by field,
//   associative lists item by item, atomic lists whole);
// - fields the manager applied last time but no longer applies are removed
//   unless another manager still owns them (or something below them);
// - the manager's entry in managedFields becomes operation Apply.
// Pure: no store, no clock; the caller validates and stamps metadata.
#include <expected>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/kube-testserver/field_schema.h"
#include "tools/kube-testserver/managed_fields.h"

namespace drover::kts {

using json = nlohmann::json;

struct ApplyOptions {
    std::string manager;
    bool force = false;
    std::string subresource;  // "" or "status"
    std::string api_version;
    std::string time;
    FieldScope scope = FieldScope::whole;
};

struct FieldConflict {
    std::string manager;  // as ManagedFieldsEntry::describe() names it
    std::string path;     // ".data.a"
};

struct ApplyConflicts {
    std::vector<FieldConflict> conflicts;
    // "Apply failed with 1 conflict: conflict with \"kubectl\": .data.a",
    // or per manager "conflicts with \"m\":\n- .a\n- .b" for several.
    std::string message() const;
    // Status causes of type FieldManagerConflict.
    json causes() const;
};

// live: the stored object, nullptr to create. applied: the configuration,
// already reduced to what the scope may change (no status on the main
// resource of a kind with a status subresource; only identity and status
// for the status subresource) and without server-set metadata. Returns the
// new object with metadata.managedFields updated.
std::expected<json, ApplyConflicts> server_side_apply(const json* live, const json& applied, const FieldSchema& schema,
                                                      const ApplyOptions& options);

// The merge step alone: applied's values over live's (see above).
json merge_applied(const json& live, const json& applied, const FieldSchema& schema);

}  // namespace drover::kts
