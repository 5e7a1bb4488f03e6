#pragma once
// The hub's REST API (/api/v1, JSON) over libcurl. One ApiClient owns one
// curl easy handle, so consecutive calls reuse the connection; it is not
// thread-safe. Failures are values, sorted by what the operator must do:
// the hub could not be reached (network, TLS, timeout), the hub refused the
// request (its JSON "error" message), or the hub answered with something
// that is not the JSON it promises.
#include <curl/curl.h>

#include <expected>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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

    const ClientOptions& options() const { return options_; }

private:
    struct EasyCleanup {
        void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
    };
    ApiClient(ClientOptions options, CURL* curl) : options_(std::move(options)), curl_(curl) {}
    ApiResult<nlohmann::json> request(const char* method, std::string_view path, const nlohmann::json* body);

    ClientOptions options_;
    std::unique_ptr<CURL, EasyCleanup> curl_;
};

}  // namespace drover::ctl
