#pragma once
// Token buckets keyed by a string (a source address): each key may spend
// `per_minute` attempts a minute, in bursts of as many. Memory is bounded:
// at most kMaxKeys keys are tracked; buckets that have refilled completely
// say nothing a fresh bucket would not, and are dropped first. When every
// tracked key is still spending, a new key is refused: a flood from that
// many addresses at once is not registration traffic.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace drover::hub {

class RateLimiter {
public:
    static constexpr size_t kMaxKeys = 65536;
    explicit RateLimiter(size_t per_minute) : per_minute_(per_minute) {}

    // Spend one attempt for key at now_ms. 0 when allowed; otherwise the
    // milliseconds until the next attempt would be (at least 1).
    int64_t attempt(const std::string& key, int64_t now_ms);
    size_t tracked() const { return buckets_.size(); }

private:
    struct Bucket {
        double tokens;
        int64_t at_ms;
    };
    double refill(const Bucket& b, int64_t now_ms) const;
    void forget_full(int64_t now_ms);

    size_t per_minute_;  // 0: unlimited
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace drover::hub
