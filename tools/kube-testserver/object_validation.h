#pragma once
// What kube-apiserver refuses before storing an object, reduced to what
// clients of a test server trip over: malformed JSON types (400, as the
// real decoder fails), and invalid names, labels, annotations and the
// required fields of the workload kinds (422 with one cause per field).
// Custom resources get the metadata checks only (no OpenAPI schema
// validation).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/kube-testserver/kube_status.h"
#include "tools/kube-testserver/resource_catalog.h"

namespace drover::kts {

using json = nlohmann::json;

// A decoding problem ("metadata.labels.a must be a string"), or nullopt.
std::optional<std::string> type_error(const ResourceType& type, const json& object);

// Field errors of a decoded object, empty when valid.
std::vector<FieldError> validate_object(const ResourceType& type, const json& object);

// Checks one name against a rule; empty when valid, else the messages
// Kubernetes gives ("a lowercase RFC 1123 subdomain must consist of ...").
std::vector<std::string> name_problems(NameRule rule, const std::string& name);

}  // namespace drover::kts
