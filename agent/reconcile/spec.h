#pragma once
// A spec as the hub renders it (canonical JSON, see DESIGN.md "Specs"):
//   {"bundle": NAME, "namespace": NS, "objects": [...],
//    "policy": {"dependsOn": [...], "keepResources": bool, "selfHeal": bool}}
// Signed and digest-checked before it gets here, but still parsed
// defensively: a malformed spec is a Failed bundle, never a crash.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace drover::reconcile {

struct Policy {
    std::vector<std::string> depends_on;
    bool keep_resources = false;  // on removal, leave the objects in place
    bool self_heal = true;        // re-apply on drift
};

struct Spec {
    std::string bundle;
    std::string ns;
    std::vector<nlohmann::json> objects;  // in apply order
    Policy policy;
};

// Every object must carry apiVersion, kind and metadata.name. Absent policy
// fields take the defaults above.
Result<Spec> parse_spec(std::string_view json);

}  // namespace drover::reconcile
