#pragma once
// RFC 7386 JSON Merge Patch: objects merge key by key, null deletes a key,
// anything else (arrays included) replaces the target value whole.
#include <nlohmann/json.hpp>

namespace drover::render {

// Recursion follows the patch's nesting, which the parsers bound (Limits::max_depth).
void merge_patch(nlohmann::json& target, const nlohmann::json& patch);

}  // namespace drover::render
