#pragma once
// The REST API under /api/v1 (JSON), independent of the HTTP server under
// it: a parsed request in, a response out. Requests are untrusted: bodies are
// size-limited by the server and parsed without exceptions; every error is
// JSON {"error": "..."} with a status code that means something.
//
//   POST  /api/v1/tokens                  create a registration token
//   GET   /api/v1/status                  agents, bundles, deployed revision
//   PATCH /api/v1/agents/NAME/labels      {"set":{k:v},"remove":[k]}
//   GET   /healthz                        liveness, no token needed
#include <string>

#include "hub/server/fleet.h"
#include "hub/server/http_message.h"

namespace drover::hub {

constexpr size_t kMaxRequestBody = 64 * 1024;

HttpResponse handle_http(Fleet& fleet, const HttpRequest& request);

}  // namespace drover::hub
