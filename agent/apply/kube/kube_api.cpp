#include "agent/apply/kube/kube_api.h"

#include <algorithm>
#include <thread>

#include "common/log.h"
#include "common/text.h"

namespace drover::kube {

using nlohmann::json;

std::string url_escape(std::string_view s) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

KubeApi::KubeApi(Transport& transport, RetryPolicy retry, Sleep sleep)
    : transport_(transport), retry_(retry), sleep_(std::move(sleep)) {
    if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    retry_.attempts = std::max(retry_.attempts, 1);
}

ApiResult<HttpResponse> KubeApi::call(const HttpRequest& request) {
    std::chrono::milliseconds delay = retry_.base;
    for (int attempt = 1;; ++attempt) {
        ApiError error;
        auto answer = transport_.send(request);
        if (answer && answer->status >= 200 && answer->status < 300) return std::move(*answer);
        error = answer ? api_error(*answer) : api_error(answer.error());
        if (!error.transient || attempt >= retry_.attempts) return std::unexpected(std::move(error));
        auto wait = std::min(std::max(delay, error.retry_after), retry_.cap);
        log::debug(request.method, " ", request.path, ": ", error.describe(), "; retrying in ", wait.count(), "ms");
        sleep_(wait);
        delay = std::min(delay * 2, retry_.cap);
    }
}

ApiResult<json> KubeApi::parse(const HttpRequest& request) {
    auto response = call(request);
    if (!response) return std::unexpected(std::move(response.error()));
    json body = json::parse(response->body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        ApiError e;
        e.status = response->status;
        e.message = cat(request.method, " ", request.path, ": the API server's answer is not a JSON object");
        return std::unexpected(std::move(e));
    }
    return body;
}

ApiResult<json> KubeApi::get(const std::string& path) { return parse({"GET", path, "", ""}); }

ApiResult<json> KubeApi::apply(const std::string& path, const json& object, std::string_view field_manager) {
    std::string body = object.dump(-1, ' ', false, json::error_handler_t::replace);
    return parse({"PATCH", cat(path, "?fieldManager=", url_escape(field_manager), "&force=true"),
                  "application/apply-patch+yaml", std::move(body)});
}

ApiResult<void> KubeApi::remove(const std::string& path, const std::string& uid) {
    json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", "Background"}};
    if (!uid.empty()) options["preconditions"] = {{"uid", uid}};
    auto response = call({"DELETE", cat(path, "?propagationPolicy=Background"), "application/json", options.dump()});
    if (!response && response.error().status != 404) return std::unexpected(std::move(response.error()));
    return {};
}

}  // namespace drover::kube
