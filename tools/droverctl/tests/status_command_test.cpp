#include <doctest/doctest.h>

#include "tools/droverctl/status_command.h"
#include "tools/droverctl/tests/sample_status.h"

using namespace drover::ctl;
using nlohmann::json;

TEST_CASE("status shows the revision, the refused commit, agents, problems and bundles") {
    auto status = json::parse(testing::kSampleStatus);
    CHECK(format_status(status) ==
          "Revision: 3f2a1b9c0d4e  deployed 2026-11-21T10:00:00Z\n"
          "ERROR: commit 9a8b7c6d5e4f was refused, the revision above stays deployed: "
          "web/bundle.yaml:7: unknown field \"taregts\"\n"
          "Agents: 2 registered, 1 online, 1 offline. Bundles: 2, 1 healthy, 1 degraded.\n"
          "\n"
          "AGENTS (2)\n"
          "NAME     STATUS                               LAST SEEN              LABELS                     BUNDLES\n"
          "edge-1   online                               2026-11-21T10:00:00Z   ring=canary,role=gateway   web:Ready infra:Ready\n"
          "edge-2   offline since 2026-11-20T09:30:00Z   2026-11-20T09:30:00Z   role=gateway               web:Failed/OutOfSync\n"
          "\n"
          "PROBLEMS\n"
          "AGENT    BUNDLE   STATE    MESSAGE\n"
          "edge-2   web      Failed   deployment web/nginx: image pull failed\n"
          "\n"
          "BUNDLES (2)\n"
          "NAME    COMMIT         REVISION       READY   NOT READY   STATES\n"
          "web     c0ffee012345   3f2a1b9c0d4e   2/3     1           Pending=1 Ready=2\n"
          "infra   3f2a1b9c0d4e   3f2a1b9c0d4e   1/1     0           Ready=1\n");
}

TEST_CASE("the headline counts online agents and bundles whose targeted agents are all Ready") {
    auto status = json::parse(R"({"agents":[{"name":"a","online":true},{"name":"b","online":true},{"name":"c"}],
        "bundles":[{"name":"x","targeted":2,"ready":2},{"name":"y","targeted":0,"ready":0},
                   {"name":"z","targeted":3,"ready":1}]})");
    CHECK(format_status(status).find("Agents: 3 registered, 2 online, 1 offline. Bundles: 3, 2 healthy, 1 degraded.\n") !=
          std::string::npos);
}

TEST_CASE("the bundles table shows the commit that last changed each bundle, \"-\" when the hub does not say") {
    auto status = json::parse(R"({"bundles":[
        {"name":"web","commit":"c0ffee0123456789abcdef0123456789abcdef01","revision":"3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345",
         "targeted":1,"ready":1,"not_ready":0,"states":{"Ready":1}},
        {"name":"infra","commit":"","revision":"3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345","targeted":0,"ready":0,"not_ready":0},
        {"name":"old-hub","revision":"3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345","targeted":0,"ready":0,"not_ready":0},
        {"name":"odd","commit":42,"revision":"","targeted":0,"ready":0,"not_ready":0}]})");
    std::string text = format_status(status);
    CHECK(text.substr(text.find("BUNDLES (")) ==
          "BUNDLES (4)\n"
          "NAME      COMMIT         REVISION       READY   NOT READY   STATES\n"
          "web       c0ffee012345   3f2a1b9c0d4e   1/1     0           Ready=1\n"
          "infra     -              3f2a1b9c0d4e   0/0     0\n"
          "old-hub   -              3f2a1b9c0d4e   0/0     0\n"
          "odd       -              -              0/0     0\n");
}

TEST_CASE("a fresh hub: nothing deployed, no agents, no bundles") {
    auto status = json::parse(R"({"revision":{"commit":null,"deployed_at":null,"error":null},"agents":[],"bundles":[]})");
    CHECK(format_status(status) ==
          "Revision: none deployed yet (git push to the hub's repository, DATA/fleet.git)\n"
          "Agents: 0 registered, 0 online, 0 offline. Bundles: 0, 0 healthy, 0 degraded.\n"
          "\n"
          "No agents registered yet (create a token: droverctl token create).\n"
          "\n"
          "No bundles deployed.\n");
}

TEST_CASE("a refused first push says nothing is deployed") {
    auto status = json::parse(
        R"({"revision":{"commit":null,"error":{"commit":"abcdef0123456789","message":"fleet.yaml:2: bad group"}},"agents":[],"bundles":[]})");
    CHECK(format_status(status).find(
              "ERROR: commit abcdef012345 was refused, nothing is deployed: fleet.yaml:2: bad group\n") !=
          std::string::npos);
}

TEST_CASE("missing or mistyped fields degrade to blanks instead of aborting") {
    for (const char* text : {R"({})", R"({"revision":"x","agents":{},"bundles":7})",
                             R"({"agents":[{"name":3,"online":"yes","labels":[1],"bundles":[{"bundle":null}]}],
                                 "bundles":[{"name":"w","ready":"2","states":{"Ready":"x"}}]})"}) {
        auto status = json::parse(text);
        CHECK_NOTHROW(format_status(status));
    }
    auto odd = json::parse(R"({"agents":[{"name":"e","online":false}],"bundles":[]})");
    CHECK(format_status(odd).find("offline (never seen)") != std::string::npos);
}
