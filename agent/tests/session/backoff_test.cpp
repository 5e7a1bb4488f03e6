#include <doctest/doctest.h>

#include <set>

#include "agent/session/backoff.h"

using namespace drover::session;
using std::chrono::milliseconds;

TEST_CASE("backoff ceilings double from the base up to the cap") {
    std::vector<uint64_t> bounds;
    Backoff b(milliseconds(1000), milliseconds(60'000), [&](uint64_t bound) {
        bounds.push_back(bound);
        return bound;  // the most the jitter may give
    });
    std::vector<int64_t> delays;
    for (int i = 0; i < 9; ++i) delays.push_back(b.next().count());
    CHECK(delays == std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000});
    CHECK(bounds.back() == 60000);
}

TEST_CASE("backoff never exceeds its bound, whatever the random source returns") {
    Backoff b(milliseconds(1000), milliseconds(5000), [](uint64_t) { return UINT64_MAX; });
    for (int i = 0; i < 100; ++i) CHECK(b.next().count() <= 5000);
}

TEST_CASE("backoff uses full jitter: the whole range from 0 to the ceiling") {
    Backoff b(milliseconds(1000), milliseconds(60'000), [](uint64_t) { return 0; });
    for (int i = 0; i < 10; ++i) CHECK(b.next().count() == 0);

    // With the real generator delays spread over [0, ceiling].
    Backoff real(milliseconds(1000), milliseconds(1000));
    std::set<int64_t> seen;
    int64_t lo = 1000, hi = 0;
    for (int i = 0; i < 2000; ++i) {
        int64_t d = real.next().count();
        CHECK(d >= 0);
        CHECK(d <= 1000);
        seen.insert(d);
        lo = std::min(lo, d);
        hi = std::max(hi, d);
    }
    CHECK(seen.size() > 500);
    CHECK(lo < 100);
    CHECK(hi > 900);
}

TEST_CASE("reset brings the backoff back to the base") {
    Backoff b(milliseconds(1000), milliseconds(60'000), [](uint64_t bound) { return bound; });
    for (int i = 0; i < 5; ++i) b.next();
    CHECK(b.attempts() == 5);
    b.reset();
    CHECK(b.next().count() == 1000);
}

TEST_CASE("backoff does not overflow after very many attempts") {
    Backoff b(milliseconds(1000), milliseconds(60'000), [](uint64_t bound) { return bound; });
    for (int i = 0; i < 10'000; ++i) b.next();
    CHECK(b.next().count() == 60000);
}
