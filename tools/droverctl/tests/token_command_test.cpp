#include <doctest/doctest.h>

#include "tools/droverctl/tests/in_process.h"
#include "tools/droverctl/tests/loopback_http_server.h"
#include "tools/droverctl/token_command.h"

using namespace drover::ctl;
using namespace drover::ctl::testing;
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

TEST_CASE("token create --viewer asks for a viewer token and refuses registration-only options") {
    auto viewer = request_for({"--viewer", "--ttl", "12h"});
    REQUIRE(viewer);
    CHECK(*viewer == json{{"kind", "viewer"}, {"ttl", "12h"}});
    CHECK(request_for({"--viewer", "--uses", "2"}).error().message ==
          "--viewer cannot be combined with --uses: labels and uses are for registration tokens, not viewer tokens");
    CHECK(request_for({"--viewer", "--push"}).error().message ==
          "--push and --viewer ask for different tokens: give one");
    CHECK(token_summary(json::parse(R"({"id":"tok_v","kind":"viewer","token":"drv_viewer_x","expires_at":null})")) ==
          "created viewer token tok_v (never expires)");
}

TEST_CASE("the token list shows kind, times, revocation, labels and uses left; never a secret") {
    constexpr int64_t now = int64_t{1795255200} * 1000;  // 2026-11-21T10:00:00Z
    auto tokens = json::parse(R"([
        {"id":"tok_reg","kind":"registration","created_at":"2026-11-01T08:00:00Z","expires_at":"2026-12-01T08:00:00Z",
         "revoked":false,"labels":{"site":"lab"},"uses_left":3},
        {"id":"tok_any","kind":"registration","created_at":"2026-11-02T08:00:00Z","expires_at":null,
         "revoked":false,"labels":{},"uses_left":null},
        {"id":"tok_push","kind":"push","created_at":"2026-11-03T08:00:00Z","expires_at":"2026-11-04T08:00:00Z",
         "revoked":false},
        {"id":"tok_view","kind":"viewer","created_at":"2026-11-05T08:00:00Z","expires_at":null,"revoked":true}])");
    CHECK(format_tokens(tokens, now) ==
          "ID         KIND           CREATED                EXPIRES                          REVOKED   LABELS     USES\n"
          "tok_reg    registration   2026-11-01T08:00:00Z   2026-12-01T08:00:00Z             no        site=lab   3 left\n"
          "tok_any    registration   2026-11-02T08:00:00Z   never                            no                   unlimited\n"
          "tok_push   push           2026-11-03T08:00:00Z   2026-11-04T08:00:00Z (expired)   no                   -\n"
          "tok_view   viewer         2026-11-05T08:00:00Z   never                            yes                  -\n");
}

namespace {

// A hub with one token, tok_1, and one agent, edge-1.
CannedReply token_hub(const RecordedRequest& r) {
    if (r.method == "GET" && r.path == "/api/v1/tokens")
        return {200, R"([{"id":"tok_1","kind":"viewer","created_at":"2026-11-05T08:00:00Z","expires_at":null,"revoked":false}])"};
    if (r.method == "DELETE" && r.path == "/api/v1/tokens/tok_1") return {200, R"({"id":"tok_1","revoked":true})"};
    if (r.method == "DELETE") return {404, R"({"error":"no token with id \"tok_9\""})"};
    if (r.method == "POST" && r.path == "/api/v1/tokens")
        return {201, R"({"id":"tok_2","kind":"viewer","token":"drv_viewer_secret","expires_at":null})"};
    if (r.method == "POST" && r.path == "/api/v1/agents/edge-1/revoke") return {200, R"({"name":"edge-1","revoked":true})"};
    if (r.method == "POST" && r.path == "/api/v1/agents/edge-1/rotate-credential")
        return {202, R"({"name":"edge-1","rotation":"started"})"};
    if (r.method == "POST" && r.path == "/api/v1/agents/edge-2/rotate-credential")
        return {202, R"({"name":"edge-2","rotation":"at its next connection"})"};
    if (r.method == "POST") return {404, R"({"error":"no agent named \"edge-9\""})"};
    return {404, R"({"error":"no such path"})"};
}

}  // namespace

TEST_CASE("token list, revoke and create --viewer talk to the hub; an unknown token exits 4") {
    LoopbackHttpServer hub(token_hub);
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "t"}};
    auto list = droverctl({"token", "list"}, env);
    CHECK(list.code == 0);
    CHECK(list.out.find("tok_1   viewer") != std::string::npos);
    CHECK(json::parse(droverctl({"token", "list", "-o", "json"}, env).out)[0]["id"] == "tok_1");

    auto revoked = droverctl({"token", "revoke", "tok_1"}, env);
    CHECK(revoked.code == 0);
    CHECK(revoked.out == "revoked token tok_1\n");
    auto unknown = droverctl({"token", "revoke", "tok_9"}, env);
    CHECK(unknown.code == 4);
    CHECK(unknown.err == "droverctl: no token with id \"tok_9\" (HTTP 404)\n");

    auto viewer = droverctl({"token", "create", "--viewer"}, env);
    CHECK(viewer.code == 0);
    CHECK(viewer.out == "drv_viewer_secret\n");
    CHECK(viewer.err == "created viewer token tok_2 (never expires)\n");
    auto sent = hub.requests();
    CHECK(sent.back().method == "POST");
    CHECK(json::parse(sent.back().body) == json{{"kind", "viewer"}});
    CHECK(sent[2].method == "DELETE");
}

TEST_CASE("revoke AGENT posts to the agent's revoke route; an unknown agent exits 4") {
    LoopbackHttpServer hub(token_hub);
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "t"}};
    auto run = droverctl({"revoke", "edge-1"}, env);
    CHECK(run.code == 0);
    CHECK(run.out == "revoked agent edge-1: its session is closed and the hub refuses it from now on\n");
    CHECK(hub.requests()[0].method == "POST");
    CHECK(hub.requests()[0].path == "/api/v1/agents/edge-1/revoke");
    auto as_json = droverctl({"revoke", "edge-1", "-o", "json"}, env);
    CHECK(json::parse(as_json.out) == json{{"name", "edge-1"}, {"revoked", true}});
    auto unknown = droverctl({"revoke", "edge-9"}, env);
    CHECK(unknown.code == 4);
    CHECK(unknown.err == "droverctl: no agent named \"edge-9\" (HTTP 404)\n");
}

TEST_CASE("rotate-credential AGENT says whether the new credential goes out now or at the next connection") {
    LoopbackHttpServer hub(token_hub);
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "t"}};
    auto online = droverctl({"rotate-credential", "edge-1"}, env);
    CHECK(online.code == 0);
    CHECK(online.out == "agent edge-1 gets a new credential now; the old one stops working once it is stored\n");
    CHECK(hub.requests()[0].method == "POST");
    CHECK(hub.requests()[0].path == "/api/v1/agents/edge-1/rotate-credential");
    auto offline = droverctl({"rotate-credential", "edge-2"}, env);
    CHECK(offline.out ==
          "agent edge-2 gets a new credential when it next connects; the old one stops working once it is stored\n");
    auto as_json = droverctl({"rotate-credential", "edge-1", "-o", "json"}, env);
    CHECK(json::parse(as_json.out) == json{{"name", "edge-1"}, {"rotation", "started"}});
    auto unknown = droverctl({"rotate-credential", "edge-9"}, env);
    CHECK(unknown.code == 4);
    CHECK(unknown.err == "droverctl: no agent named \"edge-9\" (HTTP 404)\n");
    auto usage = droverctl({"rotate-credential"}, env);
    CHECK(usage.code == 2);
    CHECK(usage.err == "droverctl: rotate-credential needs an agent name (see 'droverctl rotate-credential --help')\n");
}
