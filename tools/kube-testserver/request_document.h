#pragma once
// Request bodies as JSON values. Apply patches arrive as YAML (kubectl
// sends JSON, which is YAML too); plain scalars resolve the way
// kube-apiserver's YAML decoder (go-yaml v2, YAML 1.1) resolves them: yes/no/
// on/off are booleans, 0x1F is an integer, quoted scalars stay strings.
//
// Untrusted input: nesting deeper than kMaxDepth is refused before any
// recursive code sees it, and every failure is an error, not an exception.
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace drover::kts {

using json = nlohmann::json;

constexpr size_t kMaxDepth = 200;

Result<json> parse_json_document(std::string_view text);
// Exactly one YAML document (or a JSON text).
Result<json> parse_yaml_document(std::string_view text);
// Depth of nested objects and arrays (a scalar is 0). Iterative.
size_t nesting_depth(const json& value);
// The value with null map entries removed at every level: Kubernetes decodes
// an explicit null as an absent field. List items stay.
json without_nulls(const json& value);

}  // namespace drover::kts
