#include "agent/apply/kube/rest_client.h"

#include <curl/curl.h>

#include <cctype>
#include <mutex>

#include "common/fs.h"
#include "common/log.h"
#include "common/text.h"

namespace drover::kube {

namespace {

constexpr auto kTokenRereadInterval = std::chrono::minutes(1);

struct EasyDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using ListPtr = std::unique_ptr<curl_slist, ListDeleter>;

// libcurl's global state must be set up once, before any handle exists.
void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool transient(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:  // also a reset during the handshake
            return true;
        default:
            return false;
    }
}

struct Exchange {
    HttpResponse response;
    size_t limit = 0;
    bool too_big = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    size_t n = size * count;
    if (ex->response.body.size() + n > ex->limit) {
        ex->too_big = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    ex->response.body.append(data, n);
    return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    size_t n = size * count;
    std::string_view line(data, n);
    constexpr std::string_view name = "retry-after:";
    if (line.size() > name.size()) {
        bool match = true;
        for (size_t i = 0; i < name.size() && match; ++i)
            match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
        if (match) ex->response.retry_after = std::string(trim(line.substr(name.size())));
    }
    return n;
}

curl_blob blob(const std::string& pem) {
    return curl_blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
}

}  // namespace

struct RestClient::Handle {
    EasyPtr easy;
    char error[CURL_ERROR_SIZE] = {};
};

RestClient::RestClient(KubeConfig config, RestOptions options, std::unique_ptr<Handle> handle)
    : config_(std::move(config)),
      options_(options),
      handle_(std::move(handle)),
      token_read_at_(std::chrono::steady_clock::now()) {}

RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::create(KubeConfig config, RestOptions options) {
    global_init();
    auto handle = std::make_unique<Handle>();
    handle->easy.reset(curl_easy_init());
    if (!handle->easy) return fail("cannot create a libcurl handle");
    CURL* c = handle->easy.get();
    auto set = [&](CURLcode rc, const char* what) -> Result<void> {
        if (rc != CURLE_OK) return fail(cat(config.origin, ": ", what, ": ", curl_easy_strerror(rc)));
        return {};
    };
    std::vector<Result<void>> steps;
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), "NOSIGNAL"));
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, handle->error), "ERRORBUFFER"));
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L), "TCP_KEEPALIVE"));
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS"));
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L), "FOLLOWLOCATION"));
    // Paths are built by resource.h, escaped; "/../" must never be squashed
    // into a different resource.
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L), "PATH_AS_IS"));
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count())),
                        "CONNECTTIMEOUT"));
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count())),
                        "TIMEOUT"));
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body), "WRITEFUNCTION"));
    steps.push_back(set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header), "HEADERFUNCTION"));
    if (!config.ca_pem.empty()) {
        curl_blob ca = blob(config.ca_pem);
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca), "certificate authority"));
        // Only the kubeconfig's CA: not the system's bundle or directory.
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_CAINFO, nullptr), "CAINFO"));
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_CAPATH, nullptr), "CAPATH"));
    }
    if (config.insecure_skip_tls_verify) {
        log::warn(config.origin, ": insecure-skip-tls-verify is set; the API server's certificate is not checked");
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L), "SSL_VERIFYPEER"));
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L), "SSL_VERIFYHOST"));
    }
    if (!config.client_cert_pem.empty()) {
        curl_blob cert = blob(config.client_cert_pem);
        curl_blob key = blob(config.client_key_pem);
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert), "client certificate"));
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM"), "SSLCERTTYPE"));
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key), "client key"));
        steps.push_back(set(curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM"), "SSLKEYTYPE"));
    }
    for (auto& step : steps)
        if (!step) return fail(step.error().message);
    return std::unique_ptr<RestClient>(new RestClient(std::move(config), options, std::move(handle)));
}

void RestClient::refresh_token() {
    if (config_.token_file.empty()) return;
    auto now = std::chrono::steady_clock::now();
    if (now - token_read_at_ < kTokenRereadInterval) return;
    token_read_at_ = now;
    auto token = read_file(config_.token_file, 1 << 20);
    if (!token) {
        log::warn("keeping the previous API token: ", token.error().message);
        return;
    }
    std::string fresh(trim(*token));
    if (!fresh.empty()) config_.token = std::move(fresh);
}

std::expected<HttpResponse, TransportError> RestClient::send(const HttpRequest& request) {
    refresh_token();
    CURL* c = handle_->easy.get();
    handle_->error[0] = '\0';
    std::string url = config_.server + request.path;

    curl_slist* raw = curl_slist_append(nullptr, "Accept: application/json");
    ListPtr headers(raw);
    // No "Expect: 100-continue" round trip before a body.
    curl_slist_append(raw, "Expect:");
    if (!request.content_type.empty()) curl_slist_append(raw, cat("Content-Type: ", request.content_type).c_str());
    if (!config_.token.empty()) curl_slist_append(raw, cat("Authorization: Bearer ", config_.token).c_str());

    Exchange ex;
    ex.limit = options_.max_response_bytes;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, raw);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex);
    // HTTPGET resets whatever body the previous request on this handle had.
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    bool has_body = !request.content_type.empty() || !request.body.empty();
    if (has_body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method == "GET" ? nullptr : request.method.c_str());

    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    std::string what = cat(request.method, " ", url);
    if (ex.too_big)
        return std::unexpected(
            TransportError{cat(what, ": response larger than ", options_.max_response_bytes, " bytes"), false});
    if (rc != CURLE_OK) {
        std::string detail = handle_->error[0] ? handle_->error : curl_easy_strerror(rc);
        return std::unexpected(TransportError{cat(what, ": ", detail), transient(rc)});
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ex.response.status);
    return std::move(ex.response);
}

}  // namespace drover::kube
