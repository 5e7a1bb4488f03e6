#pragma once
// JSON answers of the REST API. Errors are {"error": "one line"}.
#include <string>

#include <nlohmann/json.hpp>

#include "hub/server/http_message.h"

namespace drover::hub {

// Invalid UTF-8 (from a path or a stored message) is replaced, never thrown:
// an exception here would reach the event loop.
HttpResponse json_reply(int status, const nlohmann::json& body);
HttpResponse json_error(int status, const std::string& message);

}  // namespace drover::hub
