#pragma once
// A token bucket of bytes: `rate` tokens per second, holding at most
// `burst` = max(rate / 10, 16 KiB). The clock is passed in on every call,
// so tests drive it with made-up time points. Rate 0 means unlimited.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace drover::chaosproxy {

class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    static constexpr size_t min_burst = 16 * 1024;

    // Starts full.
    TokenBucket(uint64_t bytes_per_s, Clock::time_point now);

    bool unlimited() const { return rate_ == 0; }
    uint64_t rate() const { return rate_; }
    size_t burst() const { return burst_; }

    // Whole tokens available at `now` (SIZE_MAX when unlimited).
    size_t available(Clock::time_point now);
    // Spends n tokens; n must not exceed available().
    void consume(size_t n);
    // How long from `now` until min(n, burst) tokens are available; zero
    // when they already are (or unlimited).
    Clock::duration wait_for(size_t n, Clock::time_point now);
    // New rate from `now` on; tokens already earned are kept up to the new
    // burst.
    void set_rate(uint64_t bytes_per_s, Clock::time_point now);

private:
    void refill(Clock::time_point now);

    uint64_t rate_;
    size_t burst_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace drover::chaosproxy
