#pragma once
// Reconnect delays: exponential backoff with full jitter. Attempt n waits a
// uniformly random time in [0, min(cap, base * 2^n)], so a hub restart that
// drops every agent at once is not met by a synchronised stampede. After a
// session that reached Welcome the caller resets it.
#include <chrono>
#include <cstdint>
#include <functional>

namespace drover::session {

class Backoff {
public:
    // Returns a uniformly distributed value in [0, bound].
    using Random = std::function<uint64_t(uint64_t bound)>;

    Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, Random random = {});

    std::chrono::milliseconds next();  // the delay before the next attempt
    void reset();
    int attempts() const { return attempt_; }
    // The upper bound the next call to next() draws from.
    std::chrono::milliseconds ceiling() const;

private:
    std::chrono::milliseconds base_, cap_;
    Random random_;
    int attempt_ = 0;
};

}  // namespace drover::session
