#pragma once
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

// cat("agent ", name, " has ", n, " bundles"): string building without <format>
// (GCC 12 has none).
template <class... Args>
std::string cat(const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}

std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view hex);
// The longest prefix of s of at most max_bytes that does not end inside a
// UTF-8 sequence: truncating text from the network must not make it invalid.
std::string utf8_prefix(std::string_view s, size_t max_bytes);
// Quote a string for error messages: "abc" with control bytes escaped.
std::string quoted(std::string_view s);
// "30d", "12h", "15m", "45s", "500ms" -> milliseconds. nullopt when malformed.
std::optional<int64_t> parse_duration_ms(std::string_view s);
std::optional<uint64_t> parse_u64(std::string_view s);

}  // namespace drover
