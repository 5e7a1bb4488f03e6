#include "hub/server/api_query.h"

#include <algorithm>

#include "common/text.h"

namespace drover::hub {

namespace {

constexpr size_t kMaxQuery = 4096;
constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return fail(cat("bad %-escape in query: ", drover::quoted(s.substr(i, 3))));
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

Result<Query> parse_query(std::string_view query, std::string_view allowed) {
    if (query.size() > kMaxQuery) return fail("query string is longer than 4096 bytes");
    Query out;
    auto names = split(allowed, ',');
    for (auto& part : split(query, '&')) {
        if (part.empty()) continue;
        auto eq = part.find('=');
        auto key = percent_decode(std::string_view(part).substr(0, eq));
        if (!key) return std::unexpected(key.error());
        auto value = percent_decode(eq == std::string::npos ? "" : std::string_view(part).substr(eq + 1));
        if (!value) return std::unexpected(value.error());
        if (std::find(names.begin(), names.end(), *key) == names.end())
            return fail(cat("unknown query parameter ", drover::quoted(*key), " (known: ", allowed, ")"));
        if (!out.emplace(*key, *value).second) return fail(cat("query parameter ", drover::quoted(*key), " is given twice"));
    }
    return out;
}

Result<size_t> parse_limit(const Query& query, size_t fallback, size_t max) {
    auto it = query.find("limit");
    if (it == query.end()) return fallback;
    auto n = parse_u64(it->second);
    if (!n || *n < 1 || *n > max) return fail(cat("limit must be a whole number from 1 to ", max));
    return static_cast<size_t>(*n);
}

std::string encode_cursor(std::string_view key) {
    std::string out;
    uint32_t bits = 0;
    int nbits = 0;
    for (unsigned char c : key) {
        bits = (bits << 8) | c;
        nbits += 8;
        while (nbits >= 6) {
            nbits -= 6;
            out += kBase64Url[(bits >> nbits) & 63];
        }
    }
    if (nbits > 0) out += kBase64Url[(bits << (6 - nbits)) & 63];
    return out;
}

Result<std::string> decode_cursor(std::string_view cursor) {
    const auto bad = [] { return fail("continue is not a cursor this API gave out"); };
    if (cursor.empty() || cursor.size() > 1024 || cursor.size() % 4 == 1) return bad();
    std::string out;
    uint32_t bits = 0;
    int nbits = 0;
    for (char c : cursor) {
        auto v = kBase64Url.find(c);
        if (v == std::string_view::npos) return bad();
        bits = (bits << 6) | static_cast<uint32_t>(v);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out += static_cast<char>((bits >> nbits) & 0xff);
        }
    }
    // Leftover bits must be zero, or two cursors would decode to one key.
    if ((bits & ((1u << nbits) - 1)) != 0) return bad();
    return out;
}

}  // namespace drover::hub
