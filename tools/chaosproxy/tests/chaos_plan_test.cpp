#include "tools/chaosproxy/chaos_plan.h"

#include <doctest/doctest.h>

#include <vector>

using namespace drover::chaosproxy;

namespace {

ChaosRanges all_ranges() {
    ChaosRanges r;
    r.cut_every = DurationRange{5'000, 60'000};
    r.stall_every = DurationRange{1'000, 2'000};
    r.stall_for = DurationRange{100, 300};
    return r;
}

// Every draw of the first n connections, in a fixed order.
std::vector<int64_t> draws(uint64_t seed, int n) {
    ChaosPlan plan(seed, all_ranges());
    std::vector<int64_t> out;
    for (int i = 0; i < n; ++i) {
        ConnectionChaos c = plan.next_connection();
        out.push_back(*c.draw_lifetime_ms());
        out.push_back(*c.draw_stall_after_ms());
        out.push_back(c.draw_stall_for_ms());
        out.push_back(c.draw_cut_with_rst() ? 1 : 0);
    }
    return out;
}

}  // namespace

TEST_CASE("chaos plan: the same seed gives the same fates, another seed others") {
    CHECK(draws(7, 50) == draws(7, 50));
    CHECK(draws(7, 50) != draws(8, 50));
}

TEST_CASE("chaos plan: a connection's fate does not depend on how much earlier ones drew") {
    ChaosPlan a(3, all_ranges());
    ChaosPlan b(3, all_ranges());
    ConnectionChaos a1 = a.next_connection();
    for (int i = 0; i < 10; ++i) a1.draw_stall_for_ms();  // the first connection stalled often
    ConnectionChaos b1 = b.next_connection();
    (void)b1;
    ConnectionChaos a2 = a.next_connection();
    ConnectionChaos b2 = b.next_connection();
    CHECK(a2.draw_lifetime_ms() == b2.draw_lifetime_ms());
    CHECK(a2.draw_stall_after_ms() == b2.draw_stall_after_ms());
}

TEST_CASE("chaos plan: draws stay within their ranges and use both ends' neighbourhood") {
    ChaosPlan plan(11, all_ranges());
    int64_t min_life = INT64_MAX, max_life = 0;
    int rst = 0;
    for (int i = 0; i < 2000; ++i) {
        ConnectionChaos c = plan.next_connection();
        int64_t life = *c.draw_lifetime_ms();
        CHECK(life >= 5'000);
        CHECK(life <= 60'000);
        min_life = std::min(min_life, life);
        max_life = std::max(max_life, life);
        int64_t after = *c.draw_stall_after_ms();
        CHECK(after >= 1'000);
        CHECK(after <= 2'000);
        int64_t stall = c.draw_stall_for_ms();
        CHECK(stall >= 100);
        CHECK(stall <= 300);
        if (c.draw_cut_with_rst()) ++rst;
    }
    CHECK(min_life < 6'000);
    CHECK(max_life > 59'000);
    CHECK(rst > 800);
    CHECK(rst < 1200);
}

TEST_CASE("chaos plan: without --cut-every or --stall-every there is nothing to draw") {
    ChaosRanges none;
    CHECK_FALSE(none.any());
    ChaosPlan plan(1, none);
    ConnectionChaos c = plan.next_connection();
    CHECK_FALSE(c.draw_lifetime_ms());
    CHECK_FALSE(c.draw_stall_after_ms());
}

TEST_CASE("chaos plan: a range of one value always draws that value") {
    ChaosRanges r;
    r.cut_every = DurationRange{250, 250};
    ChaosPlan plan(99, r);
    for (int i = 0; i < 20; ++i) CHECK(plan.next_connection().draw_lifetime_ms() == 250);
}
