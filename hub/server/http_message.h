#pragma once
// An HTTP request as the hub's handlers see it (already parsed by the
// server, body decoded) and the response they give back. Plain data: the
// handlers are independent of libwebsockets and tested without a socket.
#include <string>
#include <utility>
#include <vector>

namespace drover::hub {

struct HttpRequest {
    std::string method;  // "GET", "POST", ...
    std::string path;    // without query string
    std::string query;   // after '?', undecoded; "" when absent
    std::string authorization;
    std::string content_type;
    std::string accept;           // GET /api/v1/events: text/event-stream streams
    std::string accept_encoding;  // static files: gzip when allowed
    std::string if_none_match;    // static files: 304 when the ETag matches
    std::string last_event_id;    // a reconnecting event stream
    std::string body;
    // Webhook signatures (POST /api/v1/hooks/git).
    std::string hub_signature_256, gitea_signature, gitlab_token;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type/Length
};

}  // namespace drover::hub
