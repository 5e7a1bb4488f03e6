#include "tools/droverctl/api_client.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

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

// Accept, no 100-continue round trip, and the bearer token.
Headers request_headers(std::string_view accept, const std::string& token) {
    Headers headers;
    bool ok = add_header(headers, cat("Accept: ", accept)) && add_header(headers, "Expect:");
    if (!token.empty()) ok = ok && add_header(headers, "Authorization: Bearer " + token);
    if (!ok) throw std::bad_alloc();
    return headers;
}

// A non-2xx answer: the hub's {"error": ...} message, else what came.
ApiError refusal(const std::string& what, long status, std::string_view body) {
    json parsed = body.empty() ? json(nullptr) : json::parse(body, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error") && parsed["error"].is_string())
        return ApiError{ApiError::Kind::refused, parsed["error"].get<std::string>(), status};
    std::string shown = excerpt(body);
    return ApiError{ApiError::Kind::refused,
                    cat("hub answered ", what, " with HTTP ", status, shown.empty() ? std::string() : ": " + shown),
                    status};
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

std::string query_string(const std::vector<std::pair<std::string, std::string>>& params) {
    std::string out;
    for (const auto& [key, value] : params) {
        if (value.empty()) continue;
        out += out.empty() ? '?' : '&';
        // A query value has no dot-segments: "." stays ".".
        out += escape_path_segment(key) + "=" + (value == "." || value == ".." ? value : escape_path_segment(value));
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
ApiResult<json> ApiClient::del(std::string_view path) { return request("DELETE", path, nullptr); }

void ApiClient::set_common_options(const char* method, const std::string& url, curl_slist* headers,
                                   char* error_buffer) {
    CURL* curl = curl_.get();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "droverctl/" DROVER_VERSION);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    if (!options_.ca_file.empty()) {
        // Pinned: the hub's own CA and nothing from the system store.
        curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
        curl_easy_setopt(curl, CURLOPT_CAPATH, static_cast<char*>(nullptr));
    }
}

ApiError ApiClient::unreachable(CURLcode rc, const char* error_buffer) const {
    std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    return ApiError{ApiError::Kind::unreachable, cat("cannot reach hub at ", options_.hub_url, ": ", detail, hint_for(rc)),
                    0};
}

ApiResult<json> ApiClient::request(const char* method, std::string_view path, const json* body) {
    CURL* curl = curl_.get();
    curl_easy_reset(curl);  // keeps the connection cache

    std::string url = options_.hub_url + std::string(path);
    std::string payload = body ? body->dump() : std::string();
    std::string what = cat(method, " ", path);
    ResponseBody response{{}, options_.max_response_bytes, false};
    char error_buffer[CURL_ERROR_SIZE] = {0};

    Headers headers = request_headers("application/json", options_.token);
    if (body && !add_header(headers, "Content-Type: application/json")) throw std::bad_alloc();

    set_common_options(method, url, headers.get(), error_buffer);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);

    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

    if (response.too_large)
        return std::unexpected(ApiError{ApiError::Kind::bad_response,
                                        cat("hub answer to ", what, " is larger than ",
                                            options_.max_response_bytes >> 20, " MiB"),
                                        status});
    if (rc != CURLE_OK) return std::unexpected(unreachable(rc, error_buffer));

    if (status < 200 || status > 299) return std::unexpected(refusal(what, status, response.bytes));
    json parsed = response.bytes.empty() ? json(nullptr) : json::parse(response.bytes, nullptr, false);
    if (parsed.is_discarded())
        return std::unexpected(ApiError{ApiError::Kind::bad_response,
                                        cat("hub answered ", what, " with malformed JSON: ", excerpt(response.bytes)),
                                        status});
    return parsed;
}

namespace {

// What a stream's callbacks share. The body goes to the caller only once
// the status and content type say it is the stream asked for; anything else
// is kept (bounded) for the error message.
struct StreamState {
    CURL* curl;
    const StreamRequest* request;
    bool checked = false;
    bool is_stream = false;
    long status = 0;
    std::string content_type;
    std::string other_body;  // a non-stream answer, up to kMaxErrorBody
    std::optional<Error> rejected;  // on_bytes refused the data
    bool stopped = false;
    bool idle = false;  // the idle guard ended it
    std::chrono::steady_clock::time_point last_data = std::chrono::steady_clock::now();
};

constexpr size_t kMaxErrorBody = 64 * 1024;

// "text/event-stream; charset=utf-8" is "text/event-stream".
bool same_media_type(std::string_view content_type, std::string_view wanted) {
    std::string_view type = trim(content_type.substr(0, content_type.find(';')));
    if (type.size() != wanted.size()) return false;
    for (size_t i = 0; i < type.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(type[i])) != std::tolower(static_cast<unsigned char>(wanted[i])))
            return false;
    return true;
}

// Status and content type, once the headers are in.
void check_answer(StreamState& st) {
    st.checked = true;
    curl_easy_getinfo(st.curl, CURLINFO_RESPONSE_CODE, &st.status);
    const char* type = nullptr;
    curl_easy_getinfo(st.curl, CURLINFO_CONTENT_TYPE, &type);
    st.content_type = type ? type : "";
    st.is_stream = st.status >= 200 && st.status <= 299 && same_media_type(st.content_type, st.request->accept);
}

size_t on_stream_header(char*, size_t size, size_t count, void* userdata) {
    static_cast<StreamState*>(userdata)->last_data = std::chrono::steady_clock::now();
    return size * count;
}

size_t on_stream_body(char* data, size_t size, size_t count, void* userdata) {
    auto* st = static_cast<StreamState*>(userdata);
    size_t n = size * count;
    st->last_data = std::chrono::steady_clock::now();
    if (!st->checked) check_answer(*st);
    if (!st->is_stream) {
        // Keep the start of an error answer for its message; a 2xx answer
        // of the wrong kind is not worth reading at all.
        if (st->status >= 200 && st->status <= 299) return 0;
        size_t room = kMaxErrorBody - std::min(kMaxErrorBody, st->other_body.size());
        st->other_body.append(data, std::min(n, room));
        return n <= room ? n : 0;
    }
    if (st->request->on_bytes) {
        auto ok = st->request->on_bytes(std::string_view(data, n));
        if (!ok) {
            st->rejected = ok.error();
            return 0;
        }
    }
    // What arrived is handed over first: an interrupt loses nothing received.
    if (st->request->stop && st->request->stop()) {
        st->stopped = true;
        return 0;
    }
    return n;
}

int on_stream_progress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* st = static_cast<StreamState*>(userdata);
    if (st->request->stop && st->request->stop()) {
        st->stopped = true;
        return 1;  // CURLE_ABORTED_BY_CALLBACK
    }
    if (std::chrono::steady_clock::now() - st->last_data > std::chrono::milliseconds(st->request->idle_timeout_ms)) {
        st->idle = true;
        return 1;
    }
    return 0;
}

// "45 s", "1500 ms".
std::string duration_text(int64_t ms) { return ms % 1000 == 0 ? cat(ms / 1000, " s") : cat(ms, " ms"); }

}  // namespace

ApiResult<StreamEnd> ApiClient::stream(std::string_view path, const StreamRequest& request) {
    CURL* curl = curl_.get();
    curl_easy_reset(curl);

    std::string url = options_.hub_url + std::string(path);
    std::string what = cat("GET ", path);
    char error_buffer[CURL_ERROR_SIZE] = {0};
    Headers headers = request_headers(request.accept, options_.token);

    StreamState st{curl, &request};
    set_common_options("GET", url, headers.get(), error_buffer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 0L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_stream_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &st);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_stream_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_stream_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &st);

    CURLcode rc = curl_easy_perform(curl);
    if (st.stopped) return StreamEnd::stopped;
    if (st.rejected)
        return std::unexpected(ApiError{ApiError::Kind::bad_response,
                                        cat("hub's answer to ", what, ": ", st.rejected->message), st.status});
    if (!st.checked) check_answer(st);  // an answer without a body
    if (st.status != 0 && (st.status < 200 || st.status > 299))
        return std::unexpected(refusal(what, st.status, st.other_body));
    if (st.status != 0 && !st.is_stream)
        return std::unexpected(ApiError{ApiError::Kind::bad_response,
                                        cat("hub answered ", what, " with ",
                                            st.content_type.empty() ? std::string("no content type") : st.content_type,
                                            ", not ", request.accept),
                                        st.status});
    if (st.idle)
        return std::unexpected(ApiError{ApiError::Kind::unreachable,
                                        cat("hub at ", options_.hub_url, " sent nothing for ",
                                            duration_text(request.idle_timeout_ms)),
                                        0});
    if (rc != CURLE_OK) return std::unexpected(unreachable(rc, error_buffer));
    return StreamEnd::closed;
}

}  // namespace drover::ctl
