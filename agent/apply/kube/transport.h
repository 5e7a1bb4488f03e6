#pragma once
// One HTTP exchange with the Kubernetes API server, and the seam tests use
// to stand in for a cluster. RestClient (libcurl) is the real one.
#include <expected>
#include <string>

namespace drover::kube {

struct HttpRequest {
    std::string method;        // GET, PATCH, DELETE, ...
    std::string path;          // "/api/v1/namespaces/web/configmaps/a?x=y", already escaped
    std::string content_type;  // empty: no body
    std::string body;
};

struct HttpResponse {
    long status = 0;
    std::string body;
    std::string retry_after;  // the Retry-After header, if any
};

// No HTTP answer at all. transient: worth trying again (refused, reset,
// timed out); otherwise retrying cannot help (TLS verification failed,
// bad URL, certificate unusable).
struct TransportError {
    std::string message;
    bool transient = false;
};

class Transport {
public:
    virtual ~Transport() = default;
    virtual std::expected<HttpResponse, TransportError> send(const HttpRequest& request) = 0;
};

}  // namespace drover::kube
