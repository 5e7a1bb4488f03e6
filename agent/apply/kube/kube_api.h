#pragma once
// The few REST calls the kube applier makes, with bounded retries of what
// is transient (429, 5xx, connection refused or reset, timeouts): at most
// RetryPolicy::attempts tries, base * 2^n apart (capped; a server's
// Retry-After is honoured up to the cap). Every other failure returns at
// once. All calls are idempotent, so a retry after a lost answer is safe.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent/apply/kube/api_error.h"
#include "agent/apply/kube/transport.h"

namespace drover::kube {

struct RetryPolicy {
    int attempts = 4;  // in all, the first included
    std::chrono::milliseconds base{500};
    std::chrono::milliseconds cap{8'000};
};

using Sleep = std::function<void(std::chrono::milliseconds)>;

class KubeApi {
public:
    // sleep defaults to std::this_thread::sleep_for; tests pass their own.
    explicit KubeApi(Transport& transport, RetryPolicy retry = {}, Sleep sleep = {});

    ApiResult<nlohmann::json> get(const std::string& path);
    // Server-side apply: PATCH path?fieldManager=M&force=true with
    // application/apply-patch+yaml (the body is JSON, which is YAML).
    ApiResult<nlohmann::json> apply(const std::string& path, const nlohmann::json& object,
                                    std::string_view field_manager);
    // DELETE with propagationPolicy=Background; a uid, when given, is a
    // precondition (an object re-created under the same name is left alone).
    // 404 counts as done.
    ApiResult<void> remove(const std::string& path, const std::string& uid = "");

    // The exchange with retries; a non-2xx answer is an ApiError.
    ApiResult<HttpResponse> call(const HttpRequest& request);

private:
    ApiResult<nlohmann::json> parse(const HttpRequest& request);

    Transport& transport_;
    RetryPolicy retry_;
    Sleep sleep_;
};

// Percent-encodes everything outside RFC 3986's unreserved set.
std::string url_escape(std::string_view s);

}  // namespace drover::kube
