#pragma once
// Tolerant readers for the hub's JSON answers. The hub is trusted to mean
// well, not to be the same version as droverctl: a missing field or one of
// another type reads as empty, so output degrades instead of aborting
// (nlohmann's operator[] on a missing key of a const object is undefined).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace drover::ctl {

// The string at obj[key]; "" when obj is no object, the key is missing or
// the value is not a string.
std::string text_field(const nlohmann::json& obj, const char* key);
bool bool_field(const nlohmann::json& obj, const char* key);
// Integers only; 0 otherwise.
int64_t int_field(const nlohmann::json& obj, const char* key);
// obj[key] when it is of the asked kind, else a shared empty object/array.
const nlohmann::json& object_field(const nlohmann::json& obj, const char* key);
const nlohmann::json& array_field(const nlohmann::json& obj, const char* key);
// {"k":"v",...} -> "k=v,k2=v2" (non-string values skipped); "" when empty.
std::string labels_text(const nlohmann::json& labels);
// A commit id as droverctl shows it: its first 12 characters; "-" for ""
// (a hub that predates the field, or nothing deployed) rather than a blank
// cell.
std::string short_commit(const std::string& commit);

}  // namespace drover::ctl
