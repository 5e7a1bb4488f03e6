#include "tools/chaosproxy/chaos_plan.h"

#include <utility>

namespace drover::chaosproxy {

ConnectionChaos::ConnectionChaos(uint64_t seed, const ChaosRanges& ranges) : rng_(seed), ranges_(ranges) {}

int64_t ConnectionChaos::draw(const DurationRange& range) {
    std::uniform_int_distribution<int64_t> dist(range.min_ms, range.max_ms);
    return dist(rng_);
}

std::optional<int64_t> ConnectionChaos::draw_lifetime_ms() {
    if (!ranges_.cut_every) return std::nullopt;
    return draw(*ranges_.cut_every);
}

std::optional<int64_t> ConnectionChaos::draw_stall_after_ms() {
    if (!ranges_.stall_every) return std::nullopt;
    return draw(*ranges_.stall_every);
}

int64_t ConnectionChaos::draw_stall_for_ms() { return draw(ranges_.stall_for); }

bool ConnectionChaos::draw_cut_with_rst() { return std::bernoulli_distribution(0.5)(rng_); }

ChaosPlan::ChaosPlan(uint64_t seed, ChaosRanges ranges) : rng_(seed), ranges_(std::move(ranges)) {}

ConnectionChaos ChaosPlan::next_connection() { return ConnectionChaos(rng_(), ranges_); }

}  // namespace drover::chaosproxy
