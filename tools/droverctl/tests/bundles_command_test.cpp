// droverctl bundle NAME: counts and which agents are in which state.
// (bundles, the list, is in droverctl_test.cpp.)
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/text.h"
#include "tools/droverctl/bundles_command.h"
#include "tools/droverctl/tests/in_process.h"
#include "tools/droverctl/tests/loopback_http_server.h"

using namespace drover;
using namespace drover::ctl;
using namespace drover::ctl::testing;
using nlohmann::json;

namespace {

json web_bundle() {
    json ready = json::array();
    for (int i = 0; i < 12; ++i) ready.push_back(cat("edge-", i < 10 ? "0" : "", i));
    return {{"name", "web"},
            {"commit", "c0ffee0123456789abcdef0123456789abcdef01"},
            {"revision", "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345"},
            {"targeted", 14},
            {"ready", 12},
            {"not_ready", 0},
            {"failed", 1},
            {"modified", 0},
            {"out_of_sync", 0},
            {"offline", 1},
            {"pending", 1},
            {"agents", {{"Failed", {"edge-77"}}, {"Pending", {"edge-99"}}, {"Ready", ready}}}};
}

CannedReply bundle_hub(const RecordedRequest& r) {
    if (r.path == "/api/v1/bundles/web") return {200, web_bundle().dump()};
    return {404, R"({"error":"no deployed bundle named \"nope\""})"};
}

}  // namespace

TEST_CASE("a bundle's page shows its commit, counts, and the first agents per state") {
    CHECK(format_bundle(web_bundle()) ==
          "Bundle:     web\n"
          "Commit:     c0ffee012345  (last changed the bundle)\n"
          "Revision:   3f2a1b9c0d4e  (deployed)\n"
          "Targeted:   14 agents, 12 Ready, 1 offline\n"
          "\n"
          "STATE     AGENTS   NAMES\n"
          "Failed    1        edge-77\n"
          "Pending   1        edge-99\n"
          "Ready     12       edge-00, edge-01, edge-02, edge-03, edge-04, edge-05, edge-06, edge-07, edge-08, "
          "edge-09 (+2 more)\n");
    CHECK(format_bundle(json{{"name", "lonely"}}).find("No agents are targeted.\n") != std::string::npos);
}

TEST_CASE("bundle NAME --state lists every agent in that state, one per line; -o json is the hub's answer") {
    LoopbackHttpServer hub(bundle_hub);
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "t"}};
    auto ready = droverctl({"bundle", "web", "--state", "Ready"}, env);
    CHECK(ready.code == 0);
    CHECK(split(ready.out, '\n').size() == 13);
    CHECK(ready.out.rfind("edge-00\nedge-01\n", 0) == 0);
    CHECK(droverctl({"bundle", "web", "--state", "Modified"}, env).out.empty());

    auto as_json = droverctl({"bundle", "web", "-o", "json"}, env);
    CHECK(json::parse(as_json.out) == web_bundle());
    auto both = droverctl({"bundle", "web", "-o", "json", "--state", "Ready"}, env);
    CHECK(both.code == 2);
}

TEST_CASE("an unknown bundle exits 4 with the hub's message") {
    LoopbackHttpServer hub(bundle_hub);
    auto run = droverctl({"--hub", hub.url(), "--token", "t", "bundle", "nope"});
    CHECK(run.code == 4);
    CHECK(run.err == "droverctl: no deployed bundle named \"nope\" (HTTP 404)\n");
    CHECK(hub.requests()[0].path == "/api/v1/bundles/nope");
}
