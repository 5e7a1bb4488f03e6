// droverctl agents and agent: arguments, paging through "continue", the
// tables, -o json, and exit codes, against a loopback hub.
#include <doctest/doctest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "common/text.h"
#include "tools/droverctl/agents_command.h"
#include "tools/droverctl/tests/in_process.h"
#include "tools/droverctl/tests/loopback_http_server.h"

using namespace drover;
using namespace drover::ctl;
using namespace drover::ctl::testing;
using nlohmann::json;

namespace {

constexpr int64_t kNow = int64_t{1795255200} * 1000;  // 2026-11-21T10:00:00Z

const Runtime kAtTen{[] { return kNow; }, nullptr};

json agent(const std::string& name, bool online, const std::string& seen, json bundles = json::array()) {
    return {{"id", "id-" + name},
            {"name", name},
            {"labels", {{"role", "gw"}}},
            {"facts", {{"arch", "arm64"}, {"os", "linux"}}},
            {"version", "0.6.0"},
            {"online", online},
            {"last_seen", seen},
            {"offline_since", online ? json(nullptr) : json(seen)},
            {"bundles", bundles}};
}

// 25 agents edge-00..edge-24, served page by page like the hub: items after
// the cursor (the last name, as is), at most `limit` (and at most max_page,
// whatever is asked), and "continue" when more are left.
CannedReply paging_hub(const RecordedRequest& r, size_t max_page = 1000) {
    if (r.path.rfind("/api/v1/agents?", 0) != 0) return {404, R"({"error":"no such path"})"};
    size_t limit = 100;
    std::string after;
    for (auto& part : split(r.path.substr(r.path.find('?') + 1), '&')) {
        if (part.rfind("limit=", 0) == 0) limit = std::min<size_t>(std::stoul(part.substr(6)), max_page);
        if (part.rfind("continue=", 0) == 0) after = part.substr(9);
    }
    json items = json::array();
    std::string last;
    bool more = false;
    for (int i = 0; i < 25; ++i) {
        std::string name = cat("edge-", i < 10 ? "0" : "", i);
        if (!after.empty() && name <= after) continue;
        if (items.size() == limit) {
            more = true;
            break;
        }
        items.push_back(agent(name, true, "2026-11-21T09:59:00Z"));
        last = name;
    }
    return {200, json{{"items", items}, {"continue", more ? json(last) : json(nullptr)}, {"total", 25}}.dump()};
}

}  // namespace

TEST_CASE("agents arguments: -l or --selector, --state, --limit") {
    std::vector<std::string> args = {"-l", "role=gw,region!=eu", "--state", "Failed", "--limit", "5"};
    auto q = parse_agents_args(args);
    REQUIRE(q);
    CHECK(q->selector == "role=gw,region!=eu");
    CHECK(q->state == "Failed");
    CHECK(q->limit == 5);
    std::vector<std::string> long_form = {"--selector=env in (a,b)"};
    CHECK(parse_agents_args(long_form)->selector == "env in (a,b)");
    std::vector<std::string> extra = {"edge-1"};
    CHECK(parse_agents_args(extra).error().message == "unexpected argument \"edge-1\"");
}

TEST_CASE("the page path percent-encodes the selector and leaves out what is not asked") {
    AgentsQuery q{"role=gw,env in (a,b),!x", "Failed", 0};
    CHECK(agents_page_path(q, 500, "") ==
          "/api/v1/agents?selector=role%3Dgw%2Cenv%20in%20%28a%2Cb%29%2C%21x&state=Failed&limit=500");
    CHECK(agents_page_path(AgentsQuery{}, 50, "ZWRnZS0x") == "/api/v1/agents?limit=50&continue=ZWRnZS0x");
}

TEST_CASE("ONLINE says yes, or how long an agent has been offline") {
    CHECK(online_text(agent("a", true, "2026-11-21T09:59:00Z"), kNow) == "yes");
    CHECK(online_text(agent("a", false, "2026-11-21T07:55:00Z"), kNow) == "offline since 2h");
    CHECK(online_text(agent("a", false, "2026-11-18T10:00:00Z"), kNow) == "offline since 3d");
    CHECK(online_text(json{{"online", false}}, kNow) == "offline");
    json revoked = agent("a", false, "2026-11-21T07:55:00Z");
    revoked["revoked_at"] = "2026-11-21T09:55:00Z";
    CHECK(online_text(revoked, kNow) == "revoked 5m ago");
    // An older hub without offline_since: last_seen stands in.
    CHECK(online_text(json{{"online", false}, {"last_seen", "2026-11-21T09:58:30Z"}}, kNow) == "offline since 1m");
}

TEST_CASE("the agents table shows name, online, labels, bundle states and last seen") {
    json items = json::array(
        {agent("edge-1", true, "2026-11-21T09:59:58Z",
               json::array({{{"bundle", "web"}, {"state", "Ready"}, {"out_of_sync", false}},
                            {{"bundle", "db"}, {"state", "Failed"}, {"out_of_sync", true}}})),
         agent("edge-2", false, "2026-11-21T07:30:00Z")});
    CHECK(format_agents(items, kNow) ==
          "NAME     ONLINE             LABELS    BUNDLES                         LAST SEEN\n"
          "edge-1   yes                role=gw   web:Ready db:Failed/OutOfSync   2026-11-21T09:59:58Z\n"
          "edge-2   offline since 2h   role=gw                                   2026-11-21T07:30:00Z\n");
}

TEST_CASE("agents follows continue through every page, and --limit caps the rows") {
    LoopbackHttpServer hub([](const RecordedRequest& r) { return paging_hub(r); });
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "t"}};
    auto all = droverctl({"-o", "json", "agents"}, env);
    REQUIRE_MESSAGE(all.code == 0, all.err);
    auto items = json::parse(all.out);
    REQUIRE(items.size() == 25);
    CHECK(items[0]["name"] == "edge-00");
    CHECK(items[24]["name"] == "edge-24");
    // One page of up to 1000 holds them all.
    CHECK(hub.requests().size() == 1);

    auto capped = droverctl({"agents", "--limit", "7"}, env, kAtTen);
    CHECK(capped.code == 0);
    CHECK(capped.err == "7 of 25 matching agents shown (--limit)\n");
    CHECK(split(capped.out, '\n').size() == 1 + 7 + 1);  // header, rows, the empty piece after the last newline
    CHECK(hub.requests().back().path == "/api/v1/agents?limit=7");
}

TEST_CASE("agents keeps asking while the hub hands out smaller pages than asked for") {
    // A hub whose pages hold at most 10 agents, whatever is asked.
    LoopbackHttpServer hub([](const RecordedRequest& r) { return paging_hub(r, 10); });
    auto run = droverctl({"-o", "json", "--hub", hub.url(), "--token", "t", "agents"});
    REQUIRE_MESSAGE(run.code == 0, run.err);
    CHECK(json::parse(run.out).size() == 25);
    auto sent = hub.requests();
    REQUIRE(sent.size() == 3);
    CHECK(sent[1].path == "/api/v1/agents?limit=1000&continue=edge-09");
    CHECK(sent[2].path == "/api/v1/agents?limit=1000&continue=edge-19");

    auto limited = droverctl({"-o", "json", "--hub", hub.url(), "--token", "t", "agents", "--limit", "15"});
    CHECK(json::parse(limited.out).size() == 15);
    sent = hub.requests();
    CHECK(sent.back().path == "/api/v1/agents?limit=5&continue=edge-09");
}

TEST_CASE("a hub that repeats a continue cursor is caught instead of paging forever") {
    LoopbackHttpServer hub([](const RecordedRequest&) {
        return CannedReply{200, json{{"items", json::array({agent("a", true, "")})}, {"continue", "same"}, {"total", 9}}.dump()};
    });
    auto run = droverctl({"--hub", hub.url(), "--token", "t", "agents"});
    CHECK(run.code == 1);
    CHECK(run.err == "droverctl: hub answered GET /api/v1/agents with a continue cursor it gave before\n");
    CHECK(hub.requests().size() == 2);
}

TEST_CASE("a hub handing out fresh cursors is stopped by an empty page, or after the pages its total needs") {
    std::atomic<int> calls = 0;  // the server thread counts
    LoopbackHttpServer empty_page([&calls](const RecordedRequest&) {
        int call = ++calls;
        json items = call == 1 ? json::array({agent("a", true, "")}) : json::array();
        return CannedReply{200, json{{"items", items}, {"continue", cat("c", call)}, {"total", 1}}.dump()};
    });
    auto stopped = droverctl({"-o", "json", "--hub", empty_page.url(), "--token", "t", "agents"});
    CHECK_MESSAGE(stopped.code == 0, stopped.err);
    CHECK(json::parse(stopped.out).size() == 1);
    CHECK(empty_page.requests().size() == 2);

    // 1500 agents need two pages of 1000; two more are allowed, then it stops.
    std::atomic<int> served = 0;
    LoopbackHttpServer endless([&served](const RecordedRequest&) {
        int n = ++served;
        return CannedReply{
            200, json{{"items", json::array({agent(cat("a", n), true, "")})}, {"continue", cat("c", n)},
                      {"total", 1500}}.dump()};
    });
    auto run = droverctl({"--hub", endless.url(), "--token", "t", "agents"});
    CHECK(run.code == 1);
    CHECK(run.err == "droverctl: hub answered GET /api/v1/agents with more than 4 pages for a total of 1500 agents\n");
    CHECK(endless.requests().size() == 4);
}

TEST_CASE("agents passes the filters on; nothing matching is said in words; the hub's 400 exits 1") {
    LoopbackHttpServer hub([](const RecordedRequest& r) {
        if (r.path.find("selector=%3D") != std::string::npos)
            return CannedReply{400, R"({"error":"selector \"=\": a requirement needs a key"})"};
        return CannedReply{200, R"({"items":[],"continue":null,"total":0})"};
    });
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "t"}};
    auto none = droverctl({"agents", "-l", "ring=canary", "--state", "Offline"}, env);
    CHECK(none.code == 0);
    CHECK(none.out == "No agents match.\n");
    CHECK(hub.requests()[0].path == "/api/v1/agents?selector=ring%3Dcanary&state=Offline&limit=1000");
    CHECK(droverctl({"agents"}, env).out == "No agents registered yet (create a token: droverctl token create).\n");
    auto bad = droverctl({"agents", "-l", "="}, env);
    CHECK(bad.code == 1);
    CHECK(bad.err == "droverctl: selector \"=\": a requirement needs a key (HTTP 400)\n");
}

TEST_CASE("agent NAME shows its detail, revocation and bundles; an unknown agent exits 4") {
    LoopbackHttpServer hub([](const RecordedRequest& r) {
        if (r.path == "/api/v1/agents/edge%201") {
            json a = agent("edge 1", false, "2026-11-21T07:30:00Z",
                           json::array({{{"bundle", "web"}, {"state", "Ready"}, {"revision", "3f2a1b9c0d4e5f60"},
                                         {"message", ""}, {"out_of_sync", false}},
                                        {{"bundle", "db"}, {"state", "Failed"}, {"revision", ""},
                                         {"message", "statefulset db: image pull failed"}, {"out_of_sync", true}}}));
            a["revoked_at"] = "2026-11-21T07:31:00Z";
            a["client_certificate_since"] = "2026-11-20T10:00:00Z";
            return CannedReply{200, a.dump()};
        }
        return CannedReply{404, R"({"error":"no agent named \"ghost\""})"};
    });
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "t"}};
    auto run = droverctl({"agent", "edge 1"}, env, kAtTen);
    REQUIRE_MESSAGE(run.code == 0, run.err);
    CHECK(run.out ==
          "Name:       edge 1\n"
          "ID:         id-edge 1\n"
          "Online:     no, offline since 2026-11-21T07:30:00Z (2h ago)\n"
          "Last seen:  2026-11-21T07:30:00Z (2h ago)\n"
          "Revoked:    2026-11-21T07:31:00Z (2h ago), refused by the hub\n"
          "mTLS:       client certificate required since 2026-11-20T10:00:00Z (24h ago)\n"
          "Version:    0.6.0\n"
          "Labels:     role=gw\n"
          "Facts:\n"
          "  arch: arm64\n"
          "  os: linux\n"
          "\n"
          "BUNDLE   STATE    REVISION       IN SYNC   MESSAGE\n"
          "web      Ready    3f2a1b9c0d4e   yes\n"
          "db       Failed   -              no        statefulset db: image pull failed\n");

    auto as_json = droverctl({"agent", "edge 1", "-o", "json"}, env);
    CHECK(json::parse(as_json.out)["bundles"].size() == 2);

    auto ghost = droverctl({"agent", "ghost"}, env);
    CHECK(ghost.code == 4);
    CHECK(ghost.out.empty());
    CHECK(ghost.err == "droverctl: no agent named \"ghost\" (HTTP 404)\n");
}
