#include <doctest/doctest.h>

#include "common/labels.h"

using namespace drover;

TEST_CASE("labels parse from k=v lists") {
    auto l = parse_labels("role=gateway, region=eu,example.com/tier=edge");
    REQUIRE(l);
    CHECK(l->at("role") == "gateway");
    CHECK(l->at("region") == "eu");
    CHECK(l->at("example.com/tier") == "edge");
    CHECK(format_labels(*l) == "example.com/tier=edge,region=eu,role=gateway");
    CHECK(parse_labels("")->empty());
}

TEST_CASE("bad labels are refused with the reason") {
    CHECK_FALSE(parse_labels("role"));
    CHECK(parse_labels("role").error().message.find("expected key=value") != std::string::npos);
    CHECK_FALSE(parse_labels("-bad=x"));
    CHECK_FALSE(parse_labels("a=b,a=c"));
    CHECK_FALSE(parse_labels("a=" + std::string(64, 'x')));
    CHECK_FALSE(parse_labels("UPPER.com/a=b"));
    CHECK(parse_labels("a=")->at("a").empty());
}
