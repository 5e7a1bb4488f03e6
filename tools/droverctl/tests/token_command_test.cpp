#include <doctest/doctest.h>

#include "tools/droverctl/token_command.h"

using namespace drover::ctl;
using nlohmann::json;

namespace {
drover::Result<json> request_for(std::vector<std::string> args) {
    auto parsed = parse_args(args, {"--labels", "--uses", "--ttl"});
    REQUIRE(parsed);
    return token_create_request(*parsed);
}
}  // namespace

TEST_CASE("token create sends labels always, uses and ttl only when given") {
    auto plain = request_for({});
    REQUIRE(plain);
    CHECK(*plain == json{{"labels", json::object()}});

    auto full = request_for({"--labels", "role=gateway,ring=canary", "--uses", "5", "--ttl", "30d"});
    REQUIRE(full);
    CHECK(*full == json{{"labels", {{"role", "gateway"}, {"ring", "canary"}}}, {"uses", 5}, {"ttl", "30d"}});
}

TEST_CASE("token create refuses bad labels, uses and ttl before asking the hub") {
    CHECK(request_for({"--labels", "role"}).error().message == "label \"role\": expected key=value");
    CHECK_FALSE(request_for({"--labels", "-bad=x"}));
    CHECK(request_for({"--uses", "0"}).error().message == "--uses \"0\": must be a whole number of at least 1");
    CHECK_FALSE(request_for({"--uses", "-1"}));
    CHECK_FALSE(request_for({"--uses", "many"}));
    CHECK(request_for({"--ttl", "1 week"}).error().message ==
          "--ttl \"1 week\": use a duration like 30d, 12h, 15m or 45s");
    CHECK_FALSE(request_for({"--ttl", "0d"}));
    CHECK(request_for({"extra"}).error().message == "unexpected argument \"extra\"");
}

TEST_CASE("the token summary names id, labels, uses and expiry") {
    CHECK(token_summary(json::parse(R"({"id":"tok_1","token":"drv_reg_x","labels":{"role":"gw"},"uses":5,
                                        "expires_at":"2026-12-21T10:00:00Z"})")) ==
          "created registration token tok_1 (labels role=gw; 5 uses; expires 2026-12-21T10:00:00Z)");
    CHECK(token_summary(json::parse(R"({"id":"tok_2","token":"t","labels":{},"uses":null,"expires_at":null})")) ==
          "created registration token tok_2 (labels none; unlimited uses; never expires)");
    CHECK(token_summary(json::parse(R"({"id":"tok_3","uses":1})")).find("; 1 use;") != std::string::npos);
}
