#include "tools/droverctl/context.h"

#include <algorithm>
#include <ostream>

#include "common/text.h"

namespace drover::ctl {

int Context::usage_error(std::string_view message, std::string_view topic) const {
    err << "droverctl: " << message << " (see 'droverctl " << topic << (topic.empty() ? "" : " ") << "--help')\n";
    return kExitUsage;
}

int Context::failure(std::string_view message) const {
    err << "droverctl: " << message << "\n";
    return kExitHubFailed;
}

int Context::api_failure(const ApiError& error) const {
    err << "droverctl: " << error.message;
    if (error.kind == ApiError::Kind::refused && error.message.find("HTTP ") == std::string::npos)
        err << " (HTTP " << error.http_status << ")";
    err << "\n";
    if (error.kind == ApiError::Kind::unreachable) return kExitUnreachable;
    if (error.kind == ApiError::Kind::refused && error.http_status == 404) return kExitNotFound;
    return kExitHubFailed;
}

Result<ApiClient> Context::client() const {
    if (options.hub.empty())
        return fail("no hub given: use --hub URL, set DROVER_HUB, or put hub = URL in ~/.config/drover/config");
    if (options.token.empty())
        return fail("no token given: use --token TOKEN, set DROVER_TOKEN, or put token = TOKEN in ~/.config/drover/config");
    ClientOptions o;
    o.hub_url = options.hub;
    o.token = options.token;
    o.ca_file = options.ca;
    o.timeout_ms = static_cast<long>(options.timeout_ms);
    o.connect_timeout_ms = std::min(o.connect_timeout_ms, o.timeout_ms);
    return ApiClient::create(std::move(o));
}

void Context::print_json(const nlohmann::json& value) const {
    // Replace invalid UTF-8 instead of throwing: the hub's strings pass through.
    out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace drover::ctl
