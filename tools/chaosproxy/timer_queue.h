#pragma once
// Deadlines keyed by an owner id, at most one per id, kept in deadline order.
// The relay's only timer structure: connections, the script cursor and the
// accept back-off each own one id. O(log n) per change.
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

namespace drover::chaosproxy {

class TimerQueue {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // Sets id's deadline, replacing any earlier one.
    void arm(uint64_t id, TimePoint deadline);
    void disarm(uint64_t id);
    std::optional<TimePoint> next() const;
    // Removes and returns the ids whose deadline is at or before now,
    // earliest first.
    std::vector<uint64_t> pop_due(TimePoint now);
    size_t size() const { return deadline_of_.size(); }

private:
    std::set<std::pair<TimePoint, uint64_t>> order_;
    std::unordered_map<uint64_t, TimePoint> deadline_of_;
};

}  // namespace drover::chaosproxy
