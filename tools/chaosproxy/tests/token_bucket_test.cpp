#include "tools/chaosproxy/token_bucket.h"

#include <doctest/doctest.h>

#include <chrono>
#include <limits>

using namespace drover::chaosproxy;
using namespace std::chrono_literals;

namespace {
const TokenBucket::Clock::time_point t0{};
}

TEST_CASE("token bucket: burst is a tenth of the rate, but at least 16 KiB") {
    CHECK(TokenBucket(32 * 1024, t0).burst() == 16 * 1024);
    CHECK(TokenBucket(1024 * 1024, t0).burst() == 104857);
    CHECK(TokenBucket(1, t0).burst() == 16 * 1024);
}

TEST_CASE("token bucket: starts full, empties when spent and refills at the rate") {
    TokenBucket bucket(32 * 1024, t0);
    CHECK(bucket.available(t0) == 16 * 1024);
    bucket.consume(16 * 1024);
    CHECK(bucket.available(t0) == 0);
    CHECK(bucket.available(t0 + 500ms) == 16 * 1024);  // 32 KiB/s for 0.5 s
    bucket.consume(16 * 1024);
    CHECK(bucket.available(t0 + 750ms) == 8 * 1024);
}

TEST_CASE("token bucket: never holds more than its burst, however long it idles") {
    TokenBucket bucket(32 * 1024, t0);
    CHECK(bucket.available(t0 + 1h) == 16 * 1024);
}

TEST_CASE("token bucket: wait_for says when the tokens will be there") {
    TokenBucket bucket(1000 * 100, t0);  // 100,000 B/s, burst 16 KiB
    bucket.consume(bucket.available(t0));
    auto wait = bucket.wait_for(1000, t0);
    CHECK(wait >= 10ms);
    CHECK(wait < 11ms);
    CHECK(bucket.available(t0 + wait) >= 1000);
    CHECK(bucket.wait_for(1000, t0 + wait) == TokenBucket::Clock::duration::zero());
    // More than the burst can never be waited for; the wait caps at a full bucket.
    auto t1 = t0 + wait;
    auto full = bucket.wait_for(1'000'000, t1);
    CHECK(bucket.available(t1 + full) == bucket.burst());
}

TEST_CASE("token bucket: sending N bytes at rate R takes (N - burst) / R") {
    // The integration test relies on this: 128 KiB at 32 KiB/s takes 3.5 s.
    TokenBucket bucket(32 * 1024, t0);
    size_t sent = 0;
    auto now = t0;
    while (sent < 128 * 1024) {
        size_t n = bucket.available(now);
        if (n == 0) {
            now += bucket.wait_for(1024, now);
            continue;
        }
        n = std::min(n, 128 * 1024 - sent);
        bucket.consume(n);
        sent += n;
    }
    CHECK(now - t0 >= 3400ms);
    CHECK(now - t0 <= 3600ms);
}

TEST_CASE("token bucket: rate 0 is unlimited, and a new rate takes effect at once") {
    TokenBucket bucket(0, t0);
    CHECK(bucket.unlimited());
    CHECK(bucket.available(t0) == std::numeric_limits<size_t>::max());
    CHECK(bucket.wait_for(1 << 30, t0) == TokenBucket::Clock::duration::zero());
    bucket.set_rate(20 * 1024, t0);
    CHECK_FALSE(bucket.unlimited());
    CHECK(bucket.available(t0) == 16 * 1024);
    bucket.consume(16 * 1024);
    CHECK(bucket.available(t0 + 100ms) == 2048);
    bucket.set_rate(0, t0 + 100ms);
    CHECK(bucket.unlimited());
}

TEST_CASE("token bucket: a clock that does not move forward earns nothing") {
    TokenBucket bucket(32 * 1024, t0 + 1s);
    bucket.consume(16 * 1024);
    CHECK(bucket.available(t0) == 0);
    CHECK(bucket.available(t0 + 1s) == 0);
}
