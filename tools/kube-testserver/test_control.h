#pragma once
// /testserver/...: what a test may do to the server besides the Kubernetes
// API (README.md has the full list):
//   POST   /testserver/faults?path=P&method=M&code=C&times=N&delay_ms=D&drop=true&retry_after=S&message=T
//   GET    /testserver/faults        DELETE /testserver/faults
//   GET    /testserver/requests      DELETE /testserver/requests
//   POST   /testserver/crd-establishment?mode=auto|manual&delay_ms=D
//   POST   /testserver/crds/NAME/establish
#include <string>

#include "tools/kube-testserver/cluster.h"
#include "tools/kube-testserver/fault_injection.h"
#include "tools/kube-testserver/http_message.h"
#include "tools/kube-testserver/request_log.h"

namespace drover::kts {

struct TestControl {
    Cluster& cluster;
    FaultInjector& faults;
    RequestLog& log;
};

// control: the path below /testserver/ ("faults", "crds/x.example.com/establish").
HttpResponse handle_test_control(const HttpRequest& request, const std::string& control, TestControl& state);

}  // namespace drover::kts
