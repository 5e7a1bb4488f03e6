#include <doctest/doctest.h>

#include "tools/droverctl/label_command.h"

using namespace drover::ctl;
using nlohmann::json;

namespace {
drover::Result<json> request_for(std::vector<std::string> changes) { return label_request(changes); }
}  // namespace

TEST_CASE("label changes become set and remove lists") {
    auto r = request_for({"ring=canary", "region=eu-west", "old-", "example.com/zone="});
    REQUIRE(r);
    CHECK(*r == json{{"set", {{"ring", "canary"}, {"region", "eu-west"}, {"example.com/zone", ""}}},
                     {"remove", json::array({"old"})}});
    auto only_remove = request_for({"a-"});
    REQUIRE(only_remove);
    CHECK(*only_remove == json{{"set", json::object()}, {"remove", json::array({"a"})}});
}

TEST_CASE("bad label changes are refused before asking the hub") {
    CHECK(request_for({}).error().message == "no label changes given: use KEY=VALUE to set, KEY- to remove");
    CHECK(request_for({"ring"}).error().message == "label change \"ring\": use KEY=VALUE to set or KEY- to remove");
    CHECK_FALSE(request_for({"ring=can ary"}));
    CHECK_FALSE(request_for({"=x"}));
    CHECK_FALSE(request_for({"-"}));
    CHECK_FALSE(request_for({"bad key-"}));
    CHECK(request_for({"a=1", "a-"}).error().message == "label \"a\" is changed twice");
    CHECK(request_for({"a=1", "a=2"}).error().message == "label \"a\" is changed twice");
}
