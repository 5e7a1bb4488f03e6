#include <doctest/doctest.h>

#include "common/crypto.h"
#include "proto/desired_set.h"

using namespace drover;

TEST_CASE("desired-set hash ignores order and sees every field") {
    DesiredEntry a{"web", "r1", sha256("a")}, b{"db", "r1", sha256("b")};
    auto h = desired_set_hash({a, b});
    CHECK(h.size() == 32);
    CHECK(h == desired_set_hash({b, a}));
    CHECK(h != desired_set_hash({a}));
    CHECK(h != desired_set_hash({a, DesiredEntry{"db", "r2", sha256("b")}}));
    CHECK(h != desired_set_hash({a, DesiredEntry{"db", "r1", sha256("c")}}));
    CHECK(desired_set_hash({}) == desired_set_hash({}));
    // Field boundaries matter: ("ab","c") differs from ("a","bc").
    CHECK(desired_set_hash({{"ab", "c", ""}}) != desired_set_hash({{"a", "bc", ""}}));
}
