#include "tools/droverctl/api_client.h"

#include <unistd.h>

#include "common/text.h"
#include "drover_config.h"

namespace drover::ctl {

using nlohmann::json;

namespace {

struct SlistFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Headers = std::unique_ptr<curl_slist, SlistFree>;

struct ResponseBody {
    std::string bytes;
    size_t limit = 0;
    bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* userdata) {
    auto* body = static_cast<ResponseBody*>(userdata);
    size_t n = size * count;
    if (body->bytes.size() + n > body->limit) {
        body->too_large = true;
        return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    body->bytes.append(data, n);
    return n;
}

bool add_header(Headers& headers, const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return false;
    (void)headers.release();
    headers.reset(next);
    return true;
}

// A short, printable excerpt of a non-JSON answer for the error line.
std::string excerpt(std::string_view body) {
    std::string out;
    for (char c : trim(body)) {
        if (out.size() >= 120) {
            out += "...";
            break;
        }
        auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
    return out;
}

std::string hint_for(CURLcode rc) {
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return " (is --ca / DROVER_CA the hub's CA certificate, and --hub a name in its certificate?)";
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return " (is the hub running, and --hub / DROVER_HUB right?)";
    case CURLE_OPERATION_TIMEDOUT:
        return " (the hub did not answer in time)";
    default:
        return "";
    }
}

}  // namespace

CurlGlobal::CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

std::string escape_path_segment(std::string_view segment) {
    // "." and ".." would be dot-segments that URL normalisation removes.
    if (segment == ".") return "%2E";
    if (segment == "..") return "%2E%2E";
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : segment) {
        bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += c;
        } else {
            auto u = static_cast<unsigned char>(c);
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    return out;
}

Result<ApiClient> ApiClient::create(ClientOptions options) {
    if (!starts_with(options.hub_url, "http://") && !starts_with(options.hub_url, "https://"))
        return fail(cat("hub URL ", quoted(options.hub_url), " must start with https:// or http://"));
    while (!options.hub_url.empty() && options.hub_url.back() == '/') options.hub_url.pop_back();
    if (!options.ca_file.empty() && access(options.ca_file.c_str(), R_OK) != 0)
        return fail(cat("cannot read CA file ", quoted(options.ca_file)));
    CURL* curl = curl_easy_init();
    if (curl == nullptr) throw std::runtime_error("curl_easy_init failed");
    return ApiClient(std::move(options), curl);
}

ApiResult<json> ApiClient::get(std::string_view path) { return request("GET", path, nullptr); }
ApiResult<json> ApiClient::post(std::string_view path, const json& body) { return request("POST", path, &body); }
ApiResult<json> ApiClient::patch(std::string_view path, const json& body) { return request("PATCH", path, &body); }

ApiResult<json> ApiClient::request(const char* method, std::string_view path, const json* body) {
    CURL* curl = curl_.get();
    curl_easy_reset(curl);  // keeps the connection cache

    std::string url = options_.hub_url + std::string(path);
    std::string payload = body ? body->dump() : std::string();
    std::string what = cat(method, " ", path);
    ResponseBody response{{}, options_.max_response_bytes, false};
    char error_buffer[CURL_ERROR_SIZE] = {0};

    Headers headers;
    bool headers_ok = add_header(headers, "Accept: application/json") &&
                      add_header(headers, "Expect:");  // no 100-continue round trip
    if (body) headers_ok = headers_ok && add_header(headers, "Content-Type: application/json");
    if (!options_.token.empty()) headers_ok = headers_ok && add_header(headers, "Authorization: Bearer " + options_.token);
    if (!headers_ok) throw std::bad_alloc();

    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "droverctl/" DROVER_VERSION);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    if (!options_.ca_file.empty()) {
        // Pinned: the hub's own CA and nothing from the system store.
        curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
        curl_easy_setopt(curl, CURLOPT_CAPATH, static_cast<char*>(nullptr));
    }

    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

    if (response.too_large)
        return std::unexpected(ApiError{ApiError::Kind::bad_response,
                                        cat("hub answer to ", what, " is larger than ",
                                            options_.max_response_bytes >> 20, " MiB"),
                                        status});
    if (rc != CURLE_OK) {
        std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
        return std::unexpected(ApiError{ApiError::Kind::unreachable,
                                        cat("cannot reach hub at ", options_.hub_url, ": ", detail, hint_for(rc)),
                                        0});
    }

    json parsed = response.bytes.empty() ? json(nullptr) : json::parse(response.bytes, nullptr, false);
    if (status < 200 || status > 299) {
        if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error") && parsed["error"].is_string())
            return std::unexpected(
                ApiError{ApiError::Kind::refused, parsed["error"].get<std::string>(), status});
        std::string shown = excerpt(response.bytes);
        return std::unexpected(ApiError{ApiError::Kind::refused,
                                        cat("hub answered ", what, " with HTTP ", status,
                                            shown.empty() ? std::string() : ": " + shown),
                                        status});
    }
    if (parsed.is_discarded())
        return std::unexpected(ApiError{ApiError::Kind::bad_response,
                                        cat("hub answered ", what, " with malformed JSON: ", excerpt(response.bytes)),
                                        status});
    return parsed;
}

}  // namespace drover::ctl
