#include <doctest/doctest.h>

#include "agent/session/heartbeat.h"

using namespace drover::session;
using namespace std::chrono_literals;
using Action = Heartbeat::Action;

TEST_CASE("a quiet link is pinged once per interval, and a busy one not at all") {
    Heartbeat hb(1000ms, 5000ms);
    hb.start(0);
    CHECK(hb.due(999) == Action::none);
    CHECK(hb.next_deadline() == 1000);
    CHECK(hb.due(1000) == Action::ping);
    CHECK(hb.due(1500) == Action::none);  // the ping is out; wait for its interval
    CHECK(hb.due(2000) == Action::ping);
    // Frames keep arriving: nothing to prove, no pings.
    for (int64_t t = 2100; t < 10'000; t += 500) {
        hb.received(t);
        CHECK(hb.due(t + 400) == Action::none);
    }
}

TEST_CASE("a link that receives nothing for the idle timeout is hung up, even while pinging") {
    Heartbeat hb(1000ms, 3000ms);
    hb.start(0);
    CHECK(hb.due(1000) == Action::ping);
    CHECK(hb.due(2000) == Action::ping);
    CHECK(hb.due(2999) == Action::none);
    CHECK(hb.next_deadline() == 3000);
    CHECK(hb.due(3000) == Action::hang_up);
}

TEST_CASE("a pong keeps the link alive") {
    Heartbeat hb(1000ms, 3000ms);
    hb.start(0);
    CHECK(hb.due(1000) == Action::ping);
    hb.received(1050);  // the pong
    CHECK(hb.due(2049) == Action::none);
    CHECK(hb.due(2050) == Action::ping);
    hb.received(2060);
    CHECK(hb.due(5000) != Action::hang_up);
    CHECK(hb.due(5060) == Action::hang_up);
}

TEST_CASE("the hub can ask for a shorter interval, never a longer one, and the idle timeout stays above two") {
    Heartbeat hb(60s, 150s);
    hb.limit_interval(120s);
    CHECK(hb.interval() == 60s);
    hb.limit_interval(20s);
    CHECK(hb.interval() == 20s);
    CHECK(hb.idle_timeout() == 150s);
    hb.limit_interval(0ms);  // no wish
    CHECK(hb.interval() == 20s);

    Heartbeat tight(10s, 25s);
    CHECK(tight.idle_timeout() == 25s);
    Heartbeat odd(10s, 5s);  // misconfigured: a lost pong must not kill the link
    CHECK(odd.idle_timeout() == 20s);
}
