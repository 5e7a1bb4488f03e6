#pragma once
// Lenient readers for objects that arrive from clients: a field of the
// wrong type reads as absent. Type problems are reported separately
// (object_validation.h's type_error), so reading never throws.
#include <string>

#include <nlohmann/json.hpp>

namespace drover::kts {

using json = nlohmann::json;

// parent[key] when it is a string, else fallback.
std::string text_of(const json& parent, const char* key, const char* fallback = "");
// parent[key] when it is an object, else {}.
json object_of(const json& parent, const char* key);
// parent[key] when it is a list, else [].
json list_of(const json& parent, const char* key);
// object.metadata[key] when it is a string, else "".
std::string metadata_text(const json& object, const char* key);

// The current time as Kubernetes writes timestamps: 2026-11-21T10:00:00Z.
std::string rfc3339_now();

}  // namespace drover::kts
