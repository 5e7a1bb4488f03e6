#pragma once
// Failures a test asks for, so clients' retry and error handling can be
// exercised: answer matching API requests with an HTTP error (5xx, 429 with
// Retry-After, 409, ...), answer them late, or drop the connection without
// answering. Rules match by path prefix and optionally method and apply to a
// bounded number of requests; the first matching rule wins. Thread-safe.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tools/kube-testserver/http_message.h"

namespace drover::kts {

using json = nlohmann::json;

struct FaultRule {
    std::string path_prefix;  // "" matches every API path
    std::string method;       // "" matches every method
    int code = 0;             // 0: answer normally (after the delay)
    std::chrono::milliseconds delay{0};
    bool drop = false;     // close the connection instead of answering
    int times = 1;         // matching requests left; -1: unlimited
    int retry_after = -1;  // seconds for a Retry-After header; -1: none
    std::string message;   // Status message; default names the injection
};

// From the query of POST /testserver/faults: path, method, code, delay_ms,
// drop, times, retry_after, message. A rule must do something (code, delay
// or drop).
Result<FaultRule> parse_fault_rule(const std::map<std::string, std::string>& query);

class FaultInjector {
public:
    void add(FaultRule rule);
    void clear();
    json describe() const;
    // The first rule matching method and path, with one use consumed.
    std::optional<FaultRule> take(const std::string& method, const std::string& path);

private:
    mutable std::mutex mutex_;
    std::vector<FaultRule> rules_;
};

}  // namespace drover::kts
