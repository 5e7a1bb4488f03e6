#pragma once
// The REST API under /api/v1 (JSON), independent of the HTTP server under
// it: a parsed request in, a response out. Requests are untrusted: bodies are
// size-limited by the server and parsed without exceptions; every error is
// JSON {"error": "..."} with a status code that means something.
//
// The admin token may use every route; a viewer token (kind "viewer") may
// only GET (403 otherwise); push tokens are for git (403). Missing, unknown,
// revoked or expired tokens: 401.
//
//   GET    /api/v1/status                 agents, bundles, deployed revision
//   GET    /api/v1/summary                counts only (status_view.h)
//   GET    /api/v1/agents                 ?selector=&state=&limit=&continue= (api_agents.h)
//   GET    /api/v1/agents/NAME            one agent
//   PATCH  /api/v1/agents/NAME/labels     {"set":{k:v},"remove":[k]}
//   POST   /api/v1/agents/NAME/revoke     end its session, refuse its credential
//   POST   /api/v1/agents/NAME/rotate-credential  a new credential now (online) or at its next session
//   GET    /api/v1/bundles                per-state counts (api_bundles.h)
//   GET    /api/v1/bundles/NAME           counts and agent names per state
//   GET    /api/v1/events                 ?limit=(100, max 1000)&kind=; newest first
//          with Accept: text/event-stream: a live stream (event_feed.h),
//          ?kind=, ?since=ID or Last-Event-ID replays what came after ID
//   GET    /api/v1/trust                  the CA certificate and spec-signing public key (provisioning)
//   GET    /api/v1/tokens                 every token, without secrets
//   POST   /api/v1/tokens                 {"kind": registration|push|viewer, ...}
//   DELETE /api/v1/tokens/ID              revoke
//   GET    /healthz                       liveness, no token needed
//   GET    /readyz                        503 until the deployed revision is loaded; no token
//   GET    /metrics                       Prometheus text format (metrics.h); admin or viewer token
//   GET    /, /app.js, ...                the dashboard's files (static_assets.h); no token
#include <expected>
#include <string>

#include "hub/server/event_feed.h"
#include "hub/server/fleet.h"
#include "hub/server/http_message.h"

namespace drover::hub {

HttpResponse handle_http(Fleet& fleet, const HttpRequest& request);

// GET /api/v1/events asking for text/event-stream: the server keeps the
// response open and feeds it from the EventFeed.
bool wants_event_stream(const HttpRequest& request);
// The stream's options, or the reply refusing it (token, query).
std::expected<StreamOptions, HttpResponse> event_stream_options(Fleet& fleet, const HttpRequest& request);

}  // namespace drover::hub
