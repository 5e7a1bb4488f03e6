#pragma once
// Seeded random chaos. Every accepted connection gets its own random stream,
// seeded from the plan's stream in accept order, so a connection's fate
// (lifetime, stall times, RST or FIN) depends only on --seed and on how many
// connections came before it, not on how events interleave at run time.
// std::uniform_int_distribution is implementation-defined: runs reproduce
// with the same standard library, not across libraries.
#include <cstdint>
#include <optional>
#include <random>

namespace drover::chaosproxy {

// Inclusive range of milliseconds, min_ms <= max_ms.
struct DurationRange {
    int64_t min_ms = 0;
    int64_t max_ms = 0;
    bool operator==(const DurationRange&) const = default;
};

struct ChaosRanges {
    std::optional<DurationRange> cut_every;    // lifetime before a cut
    std::optional<DurationRange> stall_every;  // time until the next stall
    DurationRange stall_for{30'000, 60'000};   // length of one stall
    // True when there is anything random to do ("chaos on" is meaningful).
    bool any() const { return cut_every.has_value() || stall_every.has_value(); }
};

// One connection's random stream. Draws are made when the relay needs them
// (a stall length when the stall starts), each from this stream only.
class ConnectionChaos {
public:
    ConnectionChaos(uint64_t seed, const ChaosRanges& ranges);

    // Milliseconds until the connection is cut; nullopt without --cut-every.
    std::optional<int64_t> draw_lifetime_ms();
    // Milliseconds until the next stall starts; nullopt without --stall-every.
    std::optional<int64_t> draw_stall_after_ms();
    int64_t draw_stall_for_ms();
    // A cut resets (RST) or closes (FIN); half and half.
    bool draw_cut_with_rst();

private:
    int64_t draw(const DurationRange& range);

    std::mt19937_64 rng_;
    ChaosRanges ranges_;
};

class ChaosPlan {
public:
    ChaosPlan(uint64_t seed, ChaosRanges ranges);

    // The random stream of the next accepted connection.
    ConnectionChaos next_connection();
    const ChaosRanges& ranges() const { return ranges_; }

private:
    std::mt19937_64 rng_;
    ChaosRanges ranges_;
};

}  // namespace drover::chaosproxy
