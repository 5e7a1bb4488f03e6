#pragma once
// The HTTP face of the test server: authentication (bearer token or a
// client certificate the TLS layer verified; /healthz, /readyz, /livez and
// /version are open as on a default kube-apiserver), injected faults,
// routing to discovery and to the Cluster's verbs, the request log, and the
// /testserver/ control endpoints (README.md).
#include <string>

#include "tools/kube-testserver/cluster.h"
#include "tools/kube-testserver/fault_injection.h"
#include "tools/kube-testserver/http_message.h"
#include "tools/kube-testserver/request_log.h"
#include "tools/kube-testserver/request_route.h"
#include "tools/kube-testserver/tls_server.h"

namespace drover::kts {

class ApiServer {
public:
    ApiServer(Cluster& cluster, std::string bearer_token) : cluster_(cluster), token_(std::move(bearer_token)) {}

    // "127.0.0.1:PORT", as /api reports it.
    void set_server_address(std::string address) { server_address_ = std::move(address); }
    HttpResponse handle(const HttpRequest& request, const Peer& peer);

    FaultInjector& faults() { return faults_; }
    RequestLog& request_log() { return log_; }

private:
    bool authenticated(const HttpRequest& request, const Peer& peer) const;
    HttpResponse serve_api(const HttpRequest& request, const Route& route);

    Cluster& cluster_;
    std::string token_;
    std::string server_address_;
    FaultInjector faults_;
    RequestLog log_;
};

// A JSON response with Kubernetes' headers.
HttpResponse json_response(int code, const json& body);

}  // namespace drover::kts
