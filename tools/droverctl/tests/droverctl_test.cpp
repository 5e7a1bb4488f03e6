// droverctl run in-process, as main() runs it, against a loopback hub: the
// exit codes and what lands on stdout and stderr.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tools/droverctl/droverctl.h"
#include "tools/droverctl/tests/in_process.h"
#include "tools/droverctl/tests/loopback_http_server.h"
#include "tools/droverctl/tests/sample_status.h"

using namespace drover::ctl;
using namespace drover::ctl::testing;
using nlohmann::json;

namespace {

// Answers like the hub's REST API for the endpoints these tests use.
CannedReply fake_hub(const RecordedRequest& r) {
    if (r.authorization != "Bearer admin-token")
        return {401, R"x({"error":"missing or wrong token (send Authorization: Bearer TOKEN)"})x"};
    if (r.method == "GET" && r.path == "/api/v1/status") return {200, std::string(kSampleStatus)};
    if (r.method == "GET" && r.path.rfind("/api/v1/agents?", 0) == 0) {
        json items = json::parse(kSampleStatus)["agents"];
        return {200, json{{"items", items}, {"continue", nullptr}, {"total", items.size()}}.dump()};
    }
    if (r.method == "GET" && r.path == "/api/v1/bundles") return {200, std::string(kSampleBundles)};
    if (r.method == "POST" && r.path == "/api/v1/tokens") {
        auto body = json::parse(r.body, nullptr, false);
        if (body.value("kind", "") == "push") {
            if (body.contains("labels") || body.contains("uses"))
                return {400, R"({"error":"labels and uses belong to registration tokens, not push tokens"})"};
            return {201, R"({"id":"tok_push1","kind":"push","token":"drv_push_4567","expires_at":"2026-12-21T10:00:00Z"})"};
        }
        return {201, R"({"id":"tok_abc","token":"drv_reg_0123","labels":{"role":"gateway"},"uses":3,"expires_at":null})"};
    }
    if (r.method == "PATCH" && r.path == "/api/v1/agents/edge-1/labels")
        return {200, R"({"name":"edge-1","labels":{"ring":"canary","role":"gateway"}})"};
    if (r.method == "PATCH") return {404, R"({"error":"no agent named \"edge-9\""})"};
    return {404, R"({"error":"no such path"})"};
}

}  // namespace

TEST_CASE("status prints the tables and exits 0; hub and token may come from the environment") {
    LoopbackHttpServer hub(fake_hub);
    auto run = droverctl({"status"}, {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "admin-token"}});
    CHECK(run.code == 0);
    CHECK(run.err.empty());
    CHECK(run.out.find("Revision: 3f2a1b9c0d4e") == 0);
    CHECK(run.out.find("edge-2   offline since 2026-11-20T09:30:00Z") != std::string::npos);
    CHECK(run.out.find("web     c0ffee012345   3f2a1b9c0d4e   2/3") != std::string::npos);
}

TEST_CASE("-o json prints the hub's JSON") {
    LoopbackHttpServer hub(fake_hub);
    auto run = droverctl({"--hub", hub.url(), "--token", "admin-token", "status", "-o", "json"});
    CHECK(run.code == 0);
    CHECK(json::parse(run.out) == json::parse(kSampleStatus));
    auto agents = droverctl({"--hub", hub.url(), "--token", "admin-token", "agents", "-ojson"});
    CHECK(agents.code == 0);
    CHECK(json::parse(agents.out).size() == 2);
}

TEST_CASE("token create prints only the token on stdout and a summary on stderr") {
    LoopbackHttpServer hub(fake_hub);
    auto run = droverctl({"--hub", hub.url(), "--token", "admin-token", "token", "create", "--labels", "role=gateway",
                          "--uses", "3", "--ttl", "30d"});
    CHECK(run.code == 0);
    CHECK(run.out == "drv_reg_0123\n");
    CHECK(run.err == "created registration token tok_abc (labels role=gateway; 3 uses; never expires)\n");
    auto sent = hub.requests();
    REQUIRE(sent.size() == 1);
    CHECK(json::parse(sent[0].body) == json{{"labels", {{"role", "gateway"}}}, {"uses", 3}, {"ttl", "30d"}});

    auto as_json = droverctl({"--hub", hub.url(), "--token", "admin-token", "-o", "json", "token", "create"});
    CHECK(as_json.code == 0);
    CHECK(json::parse(as_json.out)["id"] == "tok_abc");
}

TEST_CASE("token create --push sends kind push and prints only the push token") {
    LoopbackHttpServer hub(fake_hub);
    auto run = droverctl({"--hub", hub.url(), "--token", "admin-token", "token", "create", "--push", "--ttl", "30d"});
    CHECK(run.code == 0);
    CHECK(run.out == "drv_push_4567\n");
    CHECK(run.err == "created push token tok_push1 (expires 2026-12-21T10:00:00Z)\n");
    auto sent = hub.requests();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].method == "POST");
    CHECK(sent[0].path == "/api/v1/tokens");
    CHECK(json::parse(sent[0].body) == json{{"kind", "push"}, {"ttl", "30d"}});

    auto as_json = droverctl({"--hub", hub.url(), "--token", "admin-token", "-o", "json", "token", "create", "--push"});
    CHECK(as_json.code == 0);
    CHECK(as_json.err.empty());
    CHECK(json::parse(as_json.out) ==
          json{{"id", "tok_push1"}, {"kind", "push"}, {"token", "drv_push_4567"}, {"expires_at", "2026-12-21T10:00:00Z"}});
}

TEST_CASE("token create --push against a hub that predates push tokens fails instead of printing its token") {
    LoopbackHttpServer hub([](const RecordedRequest&) {
        return CannedReply{201, R"({"id":"tok_old","token":"drv_reg_9","labels":{},"uses":null,"expires_at":null})"};
    });
    auto run = droverctl({"--hub", hub.url(), "--token", "t", "token", "create", "--push"});
    CHECK(run.code == 1);
    CHECK(run.out.empty());
    CHECK(run.err ==
          "droverctl: hub created token \"tok_old\", which is not a push token: this hub predates push tokens\n");
}

TEST_CASE("bundles shows the commit that last changed each bundle and agents per state; -o json is the hub's array") {
    LoopbackHttpServer hub(fake_hub);
    auto run = droverctl({"--hub", hub.url(), "--token", "admin-token", "bundles"});
    CHECK(run.code == 0);
    CHECK(run.err.empty());
    CHECK(run.out ==
          "NAME    COMMIT         REVISION       READY   NOT READY   FAILED   MODIFIED   OUT OF SYNC   PENDING   OFFLINE\n"
          "web     c0ffee012345   3f2a1b9c0d4e   2/5     0           1        0          1             1         1\n"
          "infra   3f2a1b9c0d4e   3f2a1b9c0d4e   1/1     0           0        0          0             0         0\n");

    auto as_json = droverctl({"--hub", hub.url(), "--token", "admin-token", "bundles", "-o", "json"});
    CHECK(as_json.code == 0);
    CHECK(json::parse(as_json.out) == json::parse(kSampleBundles));
    auto sent = hub.requests();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].path == "/api/v1/bundles");
}

TEST_CASE("label sends set and remove, and prints the agent's labels") {
    LoopbackHttpServer hub(fake_hub);
    auto run = droverctl({"--hub", hub.url(), "--token", "admin-token", "label", "edge-1", "ring=canary", "old-"});
    CHECK(run.code == 0);
    CHECK(run.out == "edge-1 labels: ring=canary,role=gateway\n");
    auto sent = hub.requests();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].method == "PATCH");
    CHECK(json::parse(sent[0].body) == json{{"set", {{"ring", "canary"}}}, {"remove", {"old"}}});
}

TEST_CASE("the hub's refusal is printed and exits 1, or 4 when what was named does not exist") {
    LoopbackHttpServer hub(fake_hub);
    auto unknown = droverctl({"--hub", hub.url(), "--token", "admin-token", "label", "edge-9", "a=b"});
    CHECK(unknown.code == 4);
    CHECK(unknown.out.empty());
    CHECK(unknown.err == "droverctl: no agent named \"edge-9\" (HTTP 404)\n");

    auto wrong_token = droverctl({"--hub", hub.url(), "--token", "nope", "status"});
    CHECK(wrong_token.code == 1);
    CHECK(wrong_token.err == "droverctl: missing or wrong token (send Authorization: Bearer TOKEN) (HTTP 401)\n");
}

TEST_CASE("a malformed hub answer exits 1") {
    LoopbackHttpServer hub([](const RecordedRequest&) { return CannedReply{200, "not json"}; });
    auto run = droverctl({"--hub", hub.url(), "--token", "t", "status"});
    CHECK(run.code == 1);
    CHECK(run.err.find("droverctl: hub answered GET /api/v1/status with malformed JSON") == 0);
}

TEST_CASE("an unreachable hub exits 3") {
    RefusingPort port;
    auto run = droverctl({"--hub", "http://127.0.0.1:" + std::to_string(port.port()), "--token", "t", "status"});
    CHECK(run.code == 3);
    CHECK(run.err.find("droverctl: cannot reach hub at") == 0);

    SilentPort silent;
    auto hung = droverctl(
        {"--hub", "http://127.0.0.1:" + std::to_string(silent.port()), "--token", "t", "--timeout", "200ms", "agents"});
    CHECK(hung.code == 3);
}

TEST_CASE("usage errors exit 2 with one line and a hint, before any request") {
    LoopbackHttpServer hub(fake_hub);
    std::string url = hub.url();
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    const Case cases[] = {
        {{}, "droverctl: no command given (see 'droverctl --help')\n"},
        {{"frobnicate"}, "droverctl: unknown command \"frobnicate\" (see 'droverctl --help')\n"},
        {{"status", "-o", "yaml"}, "droverctl: output format \"yaml\": use table or json (see 'droverctl --help')\n"},
        {{"--token", "t", "status"},
         "droverctl: no hub given: use --hub URL, set DROVER_HUB, or put hub = URL in ~/.config/drover/config (see "
         "'droverctl --help')\n"},
        {{"--hub", url, "status"},
         "droverctl: no token given: use --token TOKEN, set DROVER_TOKEN, or put token = TOKEN in "
         "~/.config/drover/config (see 'droverctl --help')\n"},
        {{"--hub", "hub:1", "--token", "t", "status"},
         "droverctl: hub URL \"hub:1\" must start with https:// or http:// (see 'droverctl --help')\n"},
        {{"--hub", url, "--token", "t", "status", "extra"},
         "droverctl: unexpected argument \"extra\" (see 'droverctl status --help')\n"},
        {{"--hub", url, "--token", "t", "token"},
         "droverctl: token needs a subcommand: create, list or revoke (see 'droverctl token --help')\n"},
        {{"--hub", url, "--token", "t", "token", "rotate"},
         "droverctl: unknown token subcommand \"rotate\": use create, list or revoke (see 'droverctl token --help')\n"},
        {{"--hub", url, "--token", "t", "token", "revoke"},
         "droverctl: token revoke needs a token id (droverctl token list) (see 'droverctl token --help')\n"},
        {{"--hub", url, "--token", "t", "token", "create", "--push", "--viewer"},
         "droverctl: --push and --viewer ask for different tokens: give one (see 'droverctl token create --help')\n"},
        {{"--hub", url, "--token", "t", "agents", "--limit", "0"},
         "droverctl: --limit \"0\": must be a whole number of at least 1 (see 'droverctl agents --help')\n"},
        {{"--hub", url, "--token", "t", "agents", "-l", "a=b", "--selector", "c=d"},
         "droverctl: -l and --selector are the same option: give one (see 'droverctl agents --help')\n"},
        {{"--hub", url, "--token", "t", "agent"}, "droverctl: agent needs an agent name (see 'droverctl agent --help')\n"},
        {{"--hub", url, "--token", "t", "bundle", "a", "b"},
         "droverctl: bundle takes one bundle name (see 'droverctl bundle --help')\n"},
        {{"--hub", url, "--token", "t", "revoke"}, "droverctl: revoke needs an agent name (see 'droverctl revoke --help')\n"},
        {{"--hub", url, "--token", "t", "events", "--limit", "1001"},
         "droverctl: --limit \"1001\": must be a whole number from 1 to 1000 (see 'droverctl events --help')\n"},
        {{"--hub", url, "--token", "t", "events", "--idle-timeout", "5s"},
         "droverctl: --idle-timeout is for --follow (see 'droverctl events --help')\n"},
        {{"--hub", url, "--token", "t", "token", "create", "--uses", "0"},
         "droverctl: --uses \"0\": must be a whole number of at least 1 (see 'droverctl token create --help')\n"},
        {{"--hub", url, "--token", "t", "token", "create", "--push", "--labels", "role=gateway"},
         "droverctl: --push cannot be combined with --labels: labels and uses are for registration tokens, not push "
         "tokens (see 'droverctl token create --help')\n"},
        {{"--hub", url, "--token", "t", "token", "create", "--uses", "2", "--push"},
         "droverctl: --push cannot be combined with --uses: labels and uses are for registration tokens, not push "
         "tokens (see 'droverctl token create --help')\n"},
        {{"--hub", url, "--token", "t", "token", "create", "--push=yes"},
         "droverctl: --push takes no value (see 'droverctl token create --help')\n"},
        {{"--hub", url, "--token", "t", "token", "create", "--colour", "red"},
         "droverctl: unknown option \"--colour\" (see 'droverctl token create --help')\n"},
        {{"--hub", url, "--token", "t", "label", "edge-1", "bad key=x"},
         "droverctl: label key \"bad key\": must be 1-63 characters of [A-Za-z0-9-_.], starting and ending "
         "alphanumeric (see 'droverctl label --help')\n"},
        {{"--hub", url, "--token", "t", "label"},
         "droverctl: label needs an agent name and label changes (see 'droverctl label --help')\n"},
    };
    for (const auto& c : cases) {
        auto run = droverctl(c.args);
        CHECK_MESSAGE(run.code == 2, c.err);
        CHECK(run.err == c.err);
        CHECK(run.out.empty());
    }
    CHECK(hub.requests().empty());
}

TEST_CASE("--help and --version exit 0 and print to stdout") {
    auto help = droverctl({"--help"});
    CHECK(help.code == 0);
    CHECK(help.out.find("Usage: droverctl [GLOBAL OPTIONS] COMMAND") == 0);
    CHECK(help.out.find("Exit codes: 0 ok, 1 the hub refused or failed, 2 usage error, 3 hub unreachable,\n"
                        "4 not found (no such agent, bundle, rollout or token).") != std::string::npos);
    auto token_help = droverctl({"token", "create", "--help"});
    CHECK(token_help.code == 0);
    CHECK(token_help.out.find("Usage: droverctl token create [--push | --viewer]") == 0);
    CHECK(token_help.out.find("PUSH=$(droverctl token create --push --ttl 30d)") != std::string::npos);
    CHECK(help.out.find("  token create [--push | --viewer] [--labels k=v,..] [--uses N] [--ttl 30d]\n"
                        "                                a registration token for new agents, a push token for git,\n") !=
          std::string::npos);
    // Every command is listed in the main help and has its own.
    for (const char* command : {"status", "agents", "agent", "bundles", "bundle", "events", "label", "token", "revoke",
                                "rotate-credential", "lint", "render", "provision"}) {
        CHECK_MESSAGE(help.out.find(std::string("\n  ") + command + " ") != std::string::npos, command);
        auto own = droverctl({command, "--help"});
        CHECK(own.code == 0);
        CHECK_MESSAGE(own.out.find(std::string("Usage: droverctl ") + command) == 0, command);
    }
    auto bundles_help = droverctl({"bundles", "--help"});
    CHECK(bundles_help.code == 0);
    CHECK(bundles_help.out.find("COMMIT is the commit that last changed the bundle; roll back with git revert\n"
                                "and git push") != std::string::npos);
    auto label_help = droverctl({"label", "-h"});
    CHECK(label_help.out.find("Usage: droverctl label AGENT") == 0);
    auto version = droverctl({"--version"});
    CHECK(version.code == 0);
    CHECK(version.out.find("droverctl 0.") == 0);
}
