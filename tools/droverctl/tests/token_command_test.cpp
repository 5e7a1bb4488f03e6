#include <doctest/doctest.h>

#include "tools/droverctl/token_command.h"

using namespace drover::ctl;
using nlohmann::json;

namespace {
drover::Result<json> request_for(std::vector<std::string> args) {
    auto parsed = parse_token_create_args(args);
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

TEST_CASE("token create --push asks for a push token, with a ttl only when given") {
    auto plain = request_for({"--push"});
    REQUIRE(plain);
    CHECK(*plain == json{{"kind", "push"}});

    auto expiring = request_for({"--ttl", "30d", "--push"});
    REQUIRE(expiring);
    CHECK(*expiring == json{{"kind", "push"}, {"ttl", "30d"}});

    CHECK(request_for({"--push", "--ttl", "soon"}).error().message ==
          "--ttl \"soon\": use a duration like 30d, 12h, 15m or 45s");
}

TEST_CASE("token create --push refuses registration-only options, naming the one given") {
    CHECK(request_for({"--push", "--labels", "role=gateway"}).error().message ==
          "--push cannot be combined with --labels: labels and uses are for registration tokens, not push tokens");
    CHECK(request_for({"--uses", "3", "--push"}).error().message ==
          "--push cannot be combined with --uses: labels and uses are for registration tokens, not push tokens");
    // Even an empty --labels is a sign the operator meant a registration token.
    CHECK_FALSE(request_for({"--push", "--labels="}));
    CHECK(request_for({"--push", "extra"}).error().message == "unexpected argument \"extra\"");
}

TEST_CASE("the token summary names id, labels, uses and expiry") {
    CHECK(token_summary(json::parse(R"({"id":"tok_1","token":"drv_reg_x","labels":{"role":"gw"},"uses":5,
                                        "expires_at":"2026-12-21T10:00:00Z"})")) ==
          "created registration token tok_1 (labels role=gw; 5 uses; expires 2026-12-21T10:00:00Z)");
    CHECK(token_summary(json::parse(R"({"id":"tok_2","token":"t","labels":{},"uses":null,"expires_at":null})")) ==
          "created registration token tok_2 (labels none; unlimited uses; never expires)");
    CHECK(token_summary(json::parse(R"({"id":"tok_3","uses":1})")).find("; 1 use;") != std::string::npos);
}

TEST_CASE("the push token summary names id and expiry, no labels or uses") {
    CHECK(token_summary(json::parse(R"({"id":"tok_9","kind":"push","token":"drv_push_x",
                                        "expires_at":"2026-12-21T10:00:00Z"})")) ==
          "created push token tok_9 (expires 2026-12-21T10:00:00Z)");
    CHECK(token_summary(json::parse(R"({"id":"tok_8","kind":"push","token":"drv_push_y","expires_at":null})")) ==
          "created push token tok_8 (never expires)");
    CHECK(token_summary(json::parse(R"({"id":"tok_7","kind":"registration","labels":{},"uses":null})")) ==
          "created registration token tok_7 (labels none; unlimited uses; never expires)");
}
