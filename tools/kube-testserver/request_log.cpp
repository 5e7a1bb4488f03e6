#include "tools/kube-testserver/request_log.h"

namespace drover::kts {

void RequestLog::add(LoggedRequest entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
    if (entries_.size() > kCapacity) entries_.pop_front();
}

void RequestLog::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

json RequestLog::to_json() const {
    std::lock_guard lock(mutex_);
    json out = json::array();
    for (const auto& e : entries_)
        out.push_back({{"method", e.method},
                       {"path", e.path},
                       {"query", e.query},
                       {"contentType", e.content_type},
                       {"userAgent", e.user_agent},
                       {"code", e.code},
                       {"injected", e.injected}});
    return out;
}

}  // namespace drover::kts
