#pragma once
// YAML and JSON text -> nlohmann::json documents with line numbers.
//
// YAML is read through yaml-cpp's event parser, not its Node tree, so that
// memory stays proportional to the JSON produced and every limit is checked
// while building. The mapping to JSON is strict, YAML 1.2 core schema:
//  - plain scalars: null|Null|NULL|~|empty -> null; true|True|TRUE|false|...
//    -> bool; [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+ -> integer (out of the
//    64-bit range is refused); decimal floats with optional exponent ->
//    number; anything else -> string. YAML 1.1 words (yes, no, on, off) stay
//    strings. .inf and .nan are refused (JSON has no such numbers).
//  - quoted and block scalars (yaml-cpp tag "!") are always strings.
//  - explicit tags: !!str, !!int, !!float, !!bool, !!null, !!map, !!seq; any
//    other tag is refused.
//  - mapping keys must be scalars and unique; merge keys (<<) are refused;
//    aliases are expanded (an alias to its own enclosing node is refused).
//  - strings must be valid UTF-8.
// Limits: nesting deeper than max_depth, and documents whose expanded size
// (alias bombs) exceeds max_expanded_bytes, are refused.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "hub/render/problem.h"
#include "hub/render/source.h"

namespace drover::render {

struct ParseOptions {
    size_t max_depth = 64;
    // Lines are recorded for nodes at most this deep (the root is depth 0):
    // full detail for small config files, the top levels for big manifests.
    size_t line_depth = 64;
    // Cost bound for one document after alias expansion: every node counts
    // 16 bytes plus its scalar text.
    size_t max_expanded_bytes = 64 << 20;
};

// Every non-empty document of a YAML stream (documents that are empty or
// only null are skipped). A syntax error is reported with its line and ends
// the stream; a document that breaks a rule above is reported and left out.
std::vector<SourceDoc> parse_yaml_stream(const std::string& file, std::string_view text,
                                         const ParseOptions& options, Problems& problems);

// One JSON value. Lines are known only for the root (the JSON parser keeps
// no positions); errors carry the line of the offending byte. Duplicate keys
// are not detected here: the last one wins, as in most JSON parsers.
std::optional<SourceDoc> parse_json_document(const std::string& file, std::string_view text,
                                             const ParseOptions& options, Problems& problems);

// The JSON value of one YAML scalar with yaml-cpp tag ("?" plain, "!"
// non-plain, or a resolved tag such as "tag:yaml.org,2002:int").
Result<nlohmann::json> yaml_scalar(std::string_view tag, std::string_view value);

bool valid_utf8(std::string_view s);

}  // namespace drover::render
