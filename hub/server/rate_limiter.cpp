#include "hub/server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace drover::hub {

double RateLimiter::refill(const Bucket& b, int64_t now_ms) const {
    double elapsed = static_cast<double>(std::max<int64_t>(0, now_ms - b.at_ms));
    return std::min(static_cast<double>(per_minute_), b.tokens + elapsed * static_cast<double>(per_minute_) / 60'000.0);
}

void RateLimiter::forget_full(int64_t now_ms) {
    std::erase_if(buckets_, [&](auto& entry) { return refill(entry.second, now_ms) >= static_cast<double>(per_minute_); });
}

int64_t RateLimiter::attempt(const std::string& key, int64_t now_ms) {
    if (per_minute_ == 0) return 0;
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= kMaxKeys) forget_full(now_ms);
        if (buckets_.size() >= kMaxKeys) return 60'000 / static_cast<int64_t>(per_minute_) + 1;
        it = buckets_.emplace(key, Bucket{static_cast<double>(per_minute_), now_ms}).first;
    }
    Bucket& b = it->second;
    b.tokens = refill(b, now_ms);
    b.at_ms = now_ms;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return 0;
    }
    double wait = (1.0 - b.tokens) * 60'000.0 / static_cast<double>(per_minute_);
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait)));
}

}  // namespace drover::hub
