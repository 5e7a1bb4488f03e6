#include "tools/chaosproxy/token_bucket.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace drover::chaosproxy {
namespace {

size_t burst_for(uint64_t rate) { return std::max<size_t>(static_cast<size_t>(rate / 10), TokenBucket::min_burst); }

}  // namespace

TokenBucket::TokenBucket(uint64_t bytes_per_s, Clock::time_point now)
    : rate_(bytes_per_s), burst_(burst_for(bytes_per_s)), tokens_(static_cast<double>(burst_)), last_(now) {}

void TokenBucket::refill(Clock::time_point now) {
    if (now <= last_) return;
    double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + seconds * static_cast<double>(rate_));
    last_ = now;
}

size_t TokenBucket::available(Clock::time_point now) {
    if (unlimited()) return std::numeric_limits<size_t>::max();
    refill(now);
    return static_cast<size_t>(tokens_);
}

void TokenBucket::consume(size_t n) {
    if (unlimited()) return;
    tokens_ = std::max(0.0, tokens_ - static_cast<double>(n));
}

TokenBucket::Clock::duration TokenBucket::wait_for(size_t n, Clock::time_point now) {
    if (unlimited()) return Clock::duration::zero();
    refill(now);
    double missing = static_cast<double>(std::min(n, burst_)) - tokens_;
    if (missing <= 0) return Clock::duration::zero();
    auto wait = std::chrono::duration<double>(missing / static_cast<double>(rate_));
    // Rounded up so that waking at now + wait finds the tokens there.
    return std::chrono::ceil<Clock::duration>(wait) + Clock::duration(1);
}

void TokenBucket::set_rate(uint64_t bytes_per_s, Clock::time_point now) {
    if (!unlimited()) refill(now);
    last_ = now;
    rate_ = bytes_per_s;
    burst_ = burst_for(bytes_per_s);
    if (unlimited()) tokens_ = static_cast<double>(burst_);
    else tokens_ = std::min(tokens_, static_cast<double>(burst_));
}

}  // namespace drover::chaosproxy
