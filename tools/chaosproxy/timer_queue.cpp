#include "tools/chaosproxy/timer_queue.h"

namespace drover::chaosproxy {

void TimerQueue::arm(uint64_t id, TimePoint deadline) {
    auto [it, inserted] = deadline_of_.try_emplace(id, deadline);
    if (!inserted) {
        if (it->second == deadline) return;
        order_.erase({it->second, id});
        it->second = deadline;
    }
    order_.emplace(deadline, id);
}

void TimerQueue::disarm(uint64_t id) {
    auto it = deadline_of_.find(id);
    if (it == deadline_of_.end()) return;
    order_.erase({it->second, id});
    deadline_of_.erase(it);
}

std::optional<TimerQueue::TimePoint> TimerQueue::next() const {
    if (order_.empty()) return std::nullopt;
    return order_.begin()->first;
}

std::vector<uint64_t> TimerQueue::pop_due(TimePoint now) {
    std::vector<uint64_t> due;
    while (!order_.empty() && order_.begin()->first <= now) {
        uint64_t id = order_.begin()->second;
        order_.erase(order_.begin());
        deadline_of_.erase(id);
        due.push_back(id);
    }
    return due;
}

}  // namespace drover::chaosproxy
