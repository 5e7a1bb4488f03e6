#pragma once
// The hub's REST API (/api/v1, JSON) over libcurl. One ApiClient owns one
// curl easy handle, so consecutive calls reuse the connection; it is not
// thread-safe. Failures are values, sorted by what the operator must do:
// the hub could not be reached (network, TLS, timeout), the hub refused the
// request (its JSON "error" message), or the hub answered with something
// that is not the JSON it promises.
#include <curl/curl.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace drover::ctl {

struct ApiError {
    enum class Kind {
        unreachable,   // no HTTP answer: DNS, connect, TLS, timeout
        refused,       // an HTTP answer other than 2xx; message is the hub's "error"
        bad_response,  // a 2xx answer that is not JSON, or too large
    };
    Kind kind;
    std::string message;
    long http_status = 0;  // 0 when there was no HTTP answer
};

template <class T>
using ApiResult = std::expected<T, ApiError>;

struct ClientOptions {
    std::string hub_url;  // "https://hub.example:8443" (a trailing "/" is fine)
    std::string token;    // sent as "Authorization: Bearer TOKEN"; empty: none
    // PEM file holding the only CA trusted for https (the hub's ca.pem). Empty:
    // the system trust store.
    std::string ca_file;
    long connect_timeout_ms = 10'000;
    long timeout_ms = 30'000;  // whole request, connect included
    size_t max_response_bytes = size_t{64} << 20;
};

// curl_global_init for the process lifetime; main() holds one before any
// thread starts.
class CurlGlobal {
public:
    CurlGlobal();
    ~CurlGlobal();
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
};

// "edge 1/x" -> "edge%201%2Fx": everything but RFC 3986 unreserved
// characters is percent-encoded, and "." and ".." entirely, so a name is
// always exactly one path segment.
std::string escape_path_segment(std::string_view segment);

// {{"selector","role=gw"},{"limit","50"}} -> "?selector=role%3Dgw&limit=50";
// pairs with an empty value are left out; "" when none is left.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& params);

// A long-lived GET (server-sent events). There is no total timeout; the
// stream counts as dropped when the hub sends nothing (not a byte, headers
// included) for idle_timeout_ms. The check runs when curl reports progress,
// about once a second: a silent hub is noticed up to a second late.
struct StreamRequest {
    std::string accept = "text/event-stream";
    int64_t idle_timeout_ms = 45'000;
    // Polled about once a second and on every read: true ends the stream
    // (stream() then returns StreamEnd::stopped).
    std::function<bool()> stop;
    // Each piece of the body as it arrives, split anywhere. Returning an
    // error ends the stream with that message as a bad_response.
    std::function<Result<void>(std::string_view bytes)> on_bytes;
};

enum class StreamEnd {
    closed,   // the hub ended the response
    stopped,  // StreamRequest::stop said so
};

class ApiClient {
public:
    // Refuses a hub URL that is not http:// or https://, and a CA file that
    // cannot be read: both are the operator's to fix, before any request.
    static Result<ApiClient> create(ClientOptions options);

    // path starts with "/": "/api/v1/status". A 2xx answer with an empty
    // body yields JSON null.
    ApiResult<nlohmann::json> get(std::string_view path);
    ApiResult<nlohmann::json> post(std::string_view path, const nlohmann::json& body);
    ApiResult<nlohmann::json> patch(std::string_view path, const nlohmann::json& body);
    ApiResult<nlohmann::json> del(std::string_view path);

    // GET path and hand the body to request.on_bytes as it arrives, until the
    // hub closes it, stop() says so, or the link fails. A non-2xx answer is
    // 'refused' with the hub's message; a 2xx answer of another content type
    // than request.accept is a bad_response (nothing reaches on_bytes); the
    // idle guard and network failures are 'unreachable'.
    ApiResult<StreamEnd> stream(std::string_view path, const StreamRequest& request);

    const ClientOptions& options() const { return options_; }

private:
    struct EasyCleanup {
        void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
    };
    ApiClient(ClientOptions options, CURL* curl) : options_(std::move(options)), curl_(curl) {}
    ApiResult<nlohmann::json> request(const char* method, std::string_view path, const nlohmann::json* body);
    // The options every request shares: URL, method, headers, user agent,
    // connect timeout, CA pinning, error buffer.
    void set_common_options(const char* method, const std::string& url, curl_slist* headers, char* error_buffer);
    ApiError unreachable(CURLcode rc, const char* error_buffer) const;

    ClientOptions options_;
    std::unique_ptr<CURL, EasyCleanup> curl_;
};

}  // namespace drover::ctl
