#pragma once
// Who sent a request, from its Authorization header: the admin (admin
// token) or a push token. Both forms git and curl send are accepted:
// "Bearer TOKEN", and "Basic base64(user:TOKEN)" with any user name, so
// git's credential helpers work. Secrets are compared by hash, in constant
// time.
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "hub/server/fleet.h"

namespace drover::hub {

struct Caller {
    bool admin = false;
    std::string id;  // "admin" or the push token's id
};

// The token in an Authorization header; nullopt when there is none or it is
// malformed.
std::optional<std::string> presented_token(std::string_view authorization);

// The admin or a valid push token; the error says what is wrong (no
// credentials, unknown token, revoked, expired) without echoing the secret.
Result<Caller> identify(Fleet& fleet, std::string_view authorization);

}  // namespace drover::hub
