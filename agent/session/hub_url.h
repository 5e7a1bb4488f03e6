#pragma once
// The --hub URL: ws[s]://HOST[:PORT][/PATH]. The websocket path defaults to
// /v1/agent when the URL has none. No user info, query or fragment.
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::session {

struct HubUrl {
    bool tls = true;
    std::string host;  // without brackets for IPv6 literals
    int port = 443;
    std::string path = "/v1/agent";

    std::string to_string() const;
};

Result<HubUrl> parse_hub_url(std::string_view url);

}  // namespace drover::session
