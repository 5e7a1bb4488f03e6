#include "tools/kube-testserver/fault_injection.h"

#include <cctype>

#include "common/text.h"

namespace drover::kts {

namespace {

Result<int64_t> integer(const std::map<std::string, std::string>& query, const char* name, int64_t fallback,
                        int64_t min, int64_t max) {
    auto it = query.find(name);
    if (it == query.end()) return fallback;
    std::string_view text = it->second;
    bool negative = text.starts_with("-");
    auto value = parse_u64(negative ? text.substr(1) : text);
    if (!value || *value > static_cast<uint64_t>(max) + (negative ? 1 : 0))
        return fail(cat(name, "=", quoted(it->second), ": expected an integer from ", min, " to ", max));
    int64_t v = negative ? -static_cast<int64_t>(*value) : static_cast<int64_t>(*value);
    if (v < min || v > max)
        return fail(cat(name, "=", quoted(it->second), ": expected an integer from ", min, " to ", max));
    return v;
}

}  // namespace

Result<FaultRule> parse_fault_rule(const std::map<std::string, std::string>& query) {
    static const char* const known[] = {"path", "method", "code",        "delay_ms",
                                        "drop", "times",  "retry_after", "message"};
    for (const auto& [key, value] : query) {
        bool ok = false;
        for (const char* k : known) ok = ok || key == k;
        if (!ok)
            return fail(cat("unknown parameter ", quoted(key),
                            " (path, method, code, delay_ms, drop, times, "
                            "retry_after, message)"));
    }
    FaultRule rule;
    if (auto it = query.find("path"); it != query.end()) rule.path_prefix = it->second;
    if (auto it = query.find("method"); it != query.end())
        for (char c : it->second) rule.method += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (auto it = query.find("message"); it != query.end()) rule.message = it->second;
    auto code = integer(query, "code", 0, 0, 599);
    auto delay = integer(query, "delay_ms", 0, 0, 3'600'000);
    auto times = integer(query, "times", 1, -1, 1'000'000);
    auto retry_after = integer(query, "retry_after", -1, -1, 86400);
    for (const auto* r : {&code, &delay, &times, &retry_after})
        if (!*r) return std::unexpected(r->error());
    if (*code != 0 && *code < 400) return fail(cat("code=", *code, ": expected an HTTP error code (400-599)"));
    if (*times == 0) return fail("times=0: a rule must match at least once (-1: unlimited)");
    rule.code = static_cast<int>(*code);
    rule.delay = std::chrono::milliseconds(*delay);
    rule.times = static_cast<int>(*times);
    rule.retry_after = static_cast<int>(*retry_after);
    if (auto it = query.find("drop"); it != query.end()) {
        if (it->second != "true" && it->second != "false") return fail("drop: expected true or false");
        rule.drop = it->second == "true";
    }
    if (rule.code == 0 && rule.delay.count() == 0 && !rule.drop)
        return fail("a fault needs code, delay_ms or drop=true");
    if (rule.drop && rule.code != 0) return fail("drop=true and code exclude each other");
    return rule;
}

void FaultInjector::add(FaultRule rule) {
    std::lock_guard lock(mutex_);
    rules_.push_back(std::move(rule));
}

void FaultInjector::clear() {
    std::lock_guard lock(mutex_);
    rules_.clear();
}

json FaultInjector::describe() const {
    std::lock_guard lock(mutex_);
    json out = json::array();
    for (const auto& r : rules_)
        out.push_back({{"path", r.path_prefix},
                       {"method", r.method},
                       {"code", r.code},
                       {"delay_ms", r.delay.count()},
                       {"drop", r.drop},
                       {"times", r.times},
                       {"retry_after", r.retry_after},
                       {"message", r.message}});
    return out;
}

std::optional<FaultRule> FaultInjector::take(const std::string& method, const std::string& path) {
    std::lock_guard lock(mutex_);
    for (auto it = rules_.begin(); it != rules_.end(); ++it) {
        if (!path.starts_with(it->path_prefix)) continue;
        if (!it->method.empty() && it->method != method) continue;
        FaultRule taken = *it;
        if (it->times > 0 && --it->times == 0) rules_.erase(it);
        return taken;
    }
    return std::nullopt;
}

}  // namespace drover::kts
