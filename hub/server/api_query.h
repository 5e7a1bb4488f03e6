#pragma once
// Query strings and list cursors of the REST API. Both come from the
// network: malformed input is an error value naming what is wrong.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::hub {

using Query = std::map<std::string, std::string>;

// "a=1&b=x%2Cy" -> {a: "1", b: "x,y"}; '+' is a space; "a" alone is "a" = "".
// Refused: bad %-escapes, a parameter given twice, a parameter not in
// `allowed` (comma-separated names), more than 4 KiB.
Result<Query> parse_query(std::string_view query, std::string_view allowed);

// A page size from the "limit" parameter: 1..max, `fallback` when absent.
Result<size_t> parse_limit(const Query& query, size_t fallback, size_t max);

// A list cursor is the last item's key in base64url without padding; opaque
// to clients. decode_cursor refuses anything encode_cursor cannot produce.
std::string encode_cursor(std::string_view key);
Result<std::string> decode_cursor(std::string_view cursor);

}  // namespace drover::hub
