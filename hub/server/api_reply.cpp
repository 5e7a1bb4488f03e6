#include "hub/server/api_reply.h"

namespace drover::hub {

using nlohmann::json;

HttpResponse json_reply(int status, const json& body) {
    return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"};
}

HttpResponse json_error(int status, const std::string& message) { return json_reply(status, {{"error", message}}); }

}  // namespace drover::hub
