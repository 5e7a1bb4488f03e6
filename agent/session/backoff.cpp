#include "agent/session/backoff.h"

#include <algorithm>
#include <random>

namespace drover::session {

static uint64_t system_random(uint64_t bound) {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_int_distribution<uint64_t>(0, bound)(engine);
}

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, Random random)
    : base_(std::max(base, std::chrono::milliseconds(1))),
      cap_(std::max(cap, base_)),
      random_(random ? std::move(random) : Random(system_random)) {}

std::chrono::milliseconds Backoff::ceiling() const {
    // base * 2^attempt, saturating at cap without overflowing.
    int64_t limit = base_.count();
    for (int i = 0; i < attempt_ && limit < cap_.count(); ++i) limit *= 2;
    return std::chrono::milliseconds(std::min(limit, static_cast<int64_t>(cap_.count())));
}

std::chrono::milliseconds Backoff::next() {
    auto bound = static_cast<uint64_t>(ceiling().count());
    if (attempt_ < 62) ++attempt_;
    uint64_t v = random_(bound);
    return std::chrono::milliseconds(static_cast<int64_t>(std::min(v, bound)));
}

void Backoff::reset() { attempt_ = 0; }

}  // namespace drover::session
