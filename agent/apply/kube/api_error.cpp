#include "agent/apply/kube/api_error.h"

#include <nlohmann/json.hpp>

#include "common/text.h"

namespace drover::kube {

namespace {

// An API message is one line of a status report, not a page.
constexpr size_t kMaxMessage = 1000;

std::string one_line(std::string_view text) {
    std::string out = utf8_prefix(trim(text), kMaxMessage);
    for (char& c : out)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return out;
}

std::string string_field(const nlohmann::json& j, const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool transient_status(long status) { return status == 429 || (status >= 500 && status != 501); }

ApiError api_error(const HttpResponse& response) {
    ApiError e;
    e.status = response.status;
    e.transient = transient_status(response.status);
    if (auto seconds = parse_u64(trim(response.retry_after)); seconds && *seconds < 3600)
        e.retry_after = std::chrono::seconds(*seconds);
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && string_field(body, "kind") == "Status") {
        e.message = one_line(string_field(body, "message"));
        e.reason = string_field(body, "reason");
        if (auto d = body.find("details"); d != body.end() && d->is_object()) {
            if (auto r = d->find("retryAfterSeconds"); r != d->end() && r->is_number_unsigned() && r->get<uint64_t>() < 3600)
                e.retry_after = std::chrono::seconds(r->get<uint64_t>());
        }
    }
    if (e.message.empty()) {
        std::string text = one_line(response.body);
        e.message = text.empty() ? cat("HTTP ", response.status) : text;
    }
    return e;
}

ApiError api_error(const TransportError& error) {
    ApiError e;
    e.message = error.message;
    e.transient = error.transient;
    return e;
}

std::string ApiError::describe() const {
    if (status == 0) return message;
    return cat(message, " (HTTP ", status, reason.empty() ? "" : " ", reason, ")");
}

}  // namespace drover::kube
