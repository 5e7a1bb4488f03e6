#include "tools/chaosproxy/timer_queue.h"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

using namespace drover::chaosproxy;
using namespace std::chrono_literals;

TEST_CASE("timer queue: due ids come out earliest first, later ones stay") {
    TimerQueue q;
    TimerQueue::TimePoint t0{};
    q.arm(1, t0 + 30ms);
    q.arm(2, t0 + 10ms);
    q.arm(3, t0 + 20ms);
    q.arm(4, t0 + 10ms);
    CHECK(q.next() == t0 + 10ms);
    CHECK(q.pop_due(t0 + 20ms) == std::vector<uint64_t>{2, 4, 3});
    CHECK(q.size() == 1);
    CHECK(q.next() == t0 + 30ms);
    CHECK(q.pop_due(t0 + 29ms).empty());
}

TEST_CASE("timer queue: re-arming an id replaces its deadline; disarm forgets it") {
    TimerQueue q;
    TimerQueue::TimePoint t0{};
    q.arm(1, t0 + 10ms);
    q.arm(1, t0 + 50ms);
    CHECK(q.size() == 1);
    CHECK(q.pop_due(t0 + 20ms).empty());
    q.disarm(1);
    q.disarm(7);  // unknown ids are fine
    CHECK_FALSE(q.next());
}
