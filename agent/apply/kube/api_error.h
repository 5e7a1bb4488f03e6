#pragma once
// What went wrong talking to the API server, in the API's own words: the
// message and reason of a Kubernetes Status body ("configmaps \"a\" is
// forbidden: ..."), or the transport's error when no answer came.
#include <chrono>
#include <expected>
#include <string>

#include "agent/apply/kube/transport.h"

namespace drover::kube {

struct ApiError {
    long status = 0;     // HTTP status; 0 when no answer came
    std::string reason;  // Status.reason: "NotFound", "Conflict", "Invalid", ...; empty if none
    std::string message;
    bool transient = false;  // 429, 5xx other than 501, and transport failures worth retrying
    std::chrono::milliseconds retry_after{0};  // the server's hint (Retry-After / details.retryAfterSeconds)

    // "message (HTTP 403 Forbidden)"; a transport error is its message.
    std::string describe() const;
};

template <class T>
using ApiResult = std::expected<T, ApiError>;

// A non-2xx answer. Bodies that are not a Status still give a bounded,
// printable message.
ApiError api_error(const HttpResponse& response);
ApiError api_error(const TransportError& error);
bool transient_status(long status);

}  // namespace drover::kube
