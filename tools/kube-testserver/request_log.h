#pragma once
// The API requests the server answered, newest last, so tests can assert
// what a client sent (field manager, force, content type, propagation
// policy) and how often it retried. Bounded; thread-safe.
#include <deque>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace drover::kts {

using json = nlohmann::json;

struct LoggedRequest {
    std::string method, path, query, content_type, user_agent;
    int code = 0;
    bool injected = false;  // answered by a fault rule
};

class RequestLog {
public:
    static constexpr size_t kCapacity = 5000;
    void add(LoggedRequest entry);
    void clear();
    json to_json() const;

private:
    mutable std::mutex mutex_;
    std::deque<LoggedRequest> entries_;
};

}  // namespace drover::kts
