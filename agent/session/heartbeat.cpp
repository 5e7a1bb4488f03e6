#include "agent/session/heartbeat.h"

#include <algorithm>

namespace drover::session {

using std::chrono::milliseconds;

Heartbeat::Heartbeat(milliseconds interval, milliseconds idle_timeout)
    : interval_(std::max(interval, milliseconds(100))), idle_timeout_(std::max(idle_timeout, 2 * interval_)) {}

void Heartbeat::start(int64_t now_ms) {
    last_received_ = now_ms;
    last_ping_ = now_ms;
}

void Heartbeat::received(int64_t now_ms) { last_received_ = std::max(last_received_, now_ms); }

void Heartbeat::limit_interval(milliseconds interval) {
    if (interval.count() <= 0 || interval >= interval_) return;
    interval_ = std::max(interval, milliseconds(100));
    idle_timeout_ = std::max(idle_timeout_, 2 * interval_);
}

Heartbeat::Action Heartbeat::due(int64_t now_ms) {
    if (now_ms - last_received_ >= idle_timeout_.count()) return Action::hang_up;
    if (now_ms - std::max(last_received_, last_ping_) >= interval_.count()) {
        last_ping_ = now_ms;
        return Action::ping;
    }
    return Action::none;
}

int64_t Heartbeat::next_deadline() const {
    return std::min(last_received_ + idle_timeout_.count(), std::max(last_received_, last_ping_) + interval_.count());
}

}  // namespace drover::session
