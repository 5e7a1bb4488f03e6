#pragma once
// Which of the fields drover applied no longer hold in the live object.
// Only what the applied object sets is compared (other managers' fields and
// server defaults are not drift); top-level status and server-owned
// metadata (uid, resourceVersion, generation, creationTimestamp,
// managedFields, ...) are ignored. Comparison rules, chosen so a freshly
// applied object never shows drift:
//  - maps: every applied key recursively; a null applied value is skipped
//  - lists: element by element; when every applied element is a map with a
//    "name", elements are matched by name instead (containers, env, ports)
//    and the live list may hold more; otherwise the lengths must match
//  - an empty applied map, list or string matches an absent live field (the
//    server drops them)
//  - numbers compare by value, and a quantity ("500m", "1Gi", 0.5) equals
//    its canonical form ("500m", "1Gi", "500m") as the server rewrites it
//  - Secret stringData is compared base64-encoded against data.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace drover::kube {

// Paths such as ".spec.replicas", ".spec.template.spec.containers[name=web].image",
// ".data.key", in the applied object's order.
std::vector<std::string> drifted_fields(const nlohmann::json& applied, const nlohmann::json& live);

// A Kubernetes resource quantity ("1.5Gi", "250m", "1e3") as a number;
// nullopt when the text is not one.
std::optional<long double> parse_quantity(std::string_view text);

}  // namespace drover::kube
