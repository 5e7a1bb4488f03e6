#pragma once
// JSON values as block-style YAML that any YAML 1.1 or 1.2 reader (K3s's
// Go decoder included) reads back as the same JSON. Strings stay plain only
// when they cannot be taken for anything else ([A-Za-z][A-Za-z0-9._/-]*
// and not a YAML 1.1 boolean or null word such as yes, off, null, y);
// every other string is double-quoted with JSON's escapes, which YAML's
// double-quoted style shares. Empty maps and lists are written {} and [].
#include <string>

#include <nlohmann/json.hpp>

namespace drover::apply {

// One YAML document, ending in a newline, without a "---" line.
std::string yaml_document(const nlohmann::json& value);

}  // namespace drover::apply
