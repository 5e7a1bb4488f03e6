#include "hub/server/credentials.h"


#include <cctype>

#include "common/crypto.h"
#include "common/text.h"

namespace drover::hub {

namespace {

constexpr size_t kMaxHeader = 4096;

bool scheme_is(std::string_view header, std::string_view scheme) {
    if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
    for (size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
    return true;
}

}  // namespace

std::optional<std::string> presented_token(std::string_view authorization) {
    if (authorization.size() > kMaxHeader) return std::nullopt;
    if (scheme_is(authorization, "bearer")) {
        auto token = std::string(trim(authorization.substr(7)));
        if (token.empty()) return std::nullopt;
        return token;
    }
    if (scheme_is(authorization, "basic")) {
        auto decoded = base64_decode(trim(authorization.substr(6)));
        if (!decoded) return std::nullopt;
        auto colon = decoded->find(':');
        if (colon == std::string::npos || colon + 1 == decoded->size()) return std::nullopt;
        return decoded->substr(colon + 1);
    }
    return std::nullopt;
}

Result<Caller> identify(Fleet& fleet, std::string_view authorization) {
    if (authorization.empty()) return fail("no credentials given");
    auto token = presented_token(authorization);
    if (!token) return fail("the Authorization header is neither \"Bearer TOKEN\" nor Basic with the token as password");
    std::string hash = sha256_hex(*token);
    auto admin = fleet.store().setting("admin_token_sha256");
    if (admin && equal_secret(*admin, hash)) return Caller{true, "admin"};
    auto push = fleet.store().push_token(hash, fleet.now_ms());
    if (!push) return std::unexpected(push.error());
    return Caller{false, push->id};
}

}  // namespace drover::hub
