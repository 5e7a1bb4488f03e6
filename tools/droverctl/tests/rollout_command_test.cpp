// droverctl rollouts, rollout status [--follow], rollout pause|resume|abort.
#include <doctest/doctest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "common/text.h"
#include "tools/droverctl/rollout_command.h"
#include "tools/droverctl/tests/in_process.h"
#include "tools/droverctl/tests/loopback_http_server.h"

using namespace drover;
using namespace drover::ctl;
using namespace drover::ctl::testing;
using nlohmann::json;

namespace {

json app_rollout(const std::string& phase, int updated, const std::string& reason = "") {
    return {{"bundle", "app"},
            {"target", "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345"},
            {"from", "c0ffee0123456789abcdef0123456789abcdef01"},
            {"phase", phase},
            {"paused", false},
            {"reason", reason},
            {"started_at", "2026-11-21T10:00:00Z"},
            {"progress",
             {{"targeted", 4}, {"updated", updated}, {"ready", updated}, {"failed", 0}, {"waiting", 4 - updated},
              {"offline_skipped", phase == "complete" ? 0 : 1}}},
            {"agents",
             {{{"name", "a1"}, {"online", true}, {"updated", true}, {"revision", "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345"},
               {"state", "Ready"}, {"message", ""}},
              {{"name", "a2"}, {"online", false}, {"updated", false}, {"revision", "c0ffee0123456789abcdef0123456789abcdef01"},
               {"state", nullptr}, {"message", ""}}}}};
}

}  // namespace

TEST_CASE("a rollout's page shows its commits, progress and each agent's revision") {
    CHECK(rollout_progress_line(app_rollout("batches", 2)) ==
          "batches: 2/4 updated, 2 Ready, 0 failed, 2 waiting (1 offline, skipped)");
    CHECK(rollout_progress_line(app_rollout("halted", 1, "1 agent failed")) ==
          "halted: 1/4 updated, 1 Ready, 0 failed, 3 waiting (1 offline, skipped): 1 agent failed");
    auto paused = app_rollout("canary", 0);
    paused["paused"] = true;
    CHECK(rollout_progress_line(paused).starts_with("canary (paused): 0/4 updated"));
    CHECK(format_rollout(app_rollout("batches", 2)) ==
          "Bundle:    app\n"
          "Revision:  3f2a1b9c0d4e\n"
          "From:      c0ffee012345\n"
          "Started:   2026-11-21T10:00:00Z\n"
          "Progress:  batches: 2/4 updated, 2 Ready, 0 failed, 2 waiting (1 offline, skipped)\n"
          "\n"
          "AGENT   REVISION             STATE   ONLINE   MESSAGE\n"
          "a1      3f2a1b9c0d4e (new)   Ready   yes\n"
          "a2      c0ffee012345         -       no\n");
}

TEST_CASE("rollout status --follow prints each change and ends with the rollout: 0 complete, 1 halted") {
    for (auto [last, code] : {std::pair{std::string("complete"), 0}, std::pair{std::string("halted"), 1}}) {
        std::atomic<int> calls{0};
        LoopbackHttpServer hub([&](const RecordedRequest&) -> CannedReply {
            int n = calls++;
            if (n < 2) return {200, app_rollout("batches", 2).dump()};  // unchanged: printed once
            if (n < 3) return {200, app_rollout("batches", 3).dump()};
            return {200, app_rollout(last, last == "complete" ? 4 : 3, last == "halted" ? "a4 Failed" : "").dump()};
        });
        auto run = droverctl({"--hub", hub.url(), "--token", "t", "rollout", "status", "app", "--follow"});
        CHECK(run.code == code);
        auto lines = split(run.out, '\n');
        REQUIRE(lines.size() == 4);  // three lines and the final newline
        CHECK(lines[0].starts_with("batches: 2/4"));
        CHECK(lines[1].starts_with("batches: 3/4"));
        CHECK(lines[2].starts_with(last));
    }
}

TEST_CASE("rollout pause, resume and abort POST to the hub; refusals and unknown bundles keep its message") {
    LoopbackHttpServer hub([](const RecordedRequest& r) -> CannedReply {
        if (r.path == "/api/v1/rollouts/app/abort") return {200, app_rollout("aborted", 0, "aborted by the admin").dump()};
        if (r.path == "/api/v1/rollouts/app/pause")
            return {409, R"({"error":"the rollout of app to 3f2a1b9c0d4e is complete: there is nothing to pause"})"};
        if (r.path == "/api/v1/rollouts/app/resume") return {200, app_rollout("batches", 2).dump()};
        return {404, R"({"error":"bundle \"nope\" has no rollout"})"};
    });
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "t"}};
    auto abort = droverctl({"rollout", "abort", "app"}, env);
    CHECK(abort.code == 0);
    CHECK(abort.out == "aborted the rollout of app: agents that had its revision get the previous one back\n");
    CHECK(hub.requests().back().method == "POST");
    auto resume = droverctl({"rollout", "resume", "app"}, env);
    CHECK(resume.out.starts_with("resumed the rollout of app: batches: 2/4 updated"));
    auto pause = droverctl({"rollout", "pause", "app"}, env);
    CHECK(pause.code == 1);
    CHECK(pause.err.find("there is nothing to pause (HTTP 409)") != std::string::npos);
    auto nope = droverctl({"rollout", "status", "nope"}, env);
    CHECK(nope.code == 4);
    CHECK(nope.err == "droverctl: bundle \"nope\" has no rollout (HTTP 404)\n");
}

TEST_CASE("rollout usage errors exit 2 before asking the hub") {
    std::map<std::string, std::string> env = {{"DROVER_HUB", "http://127.0.0.1:9"}, {"DROVER_TOKEN", "t"}};
    CHECK(droverctl({"rollout"}, env).code == 2);
    CHECK(droverctl({"rollout", "restart", "app"}, env).err.find("unknown rollout action \"restart\"") != std::string::npos);
    CHECK(droverctl({"rollout", "status"}, env).err.find("rollout status needs a bundle name") != std::string::npos);
    CHECK(droverctl({"rollout", "abort", "a", "b"}, env).code == 2);
    CHECK(droverctl({"rollout", "pause", "app", "--follow"}, env).err.find("--follow goes with rollout status") !=
          std::string::npos);
}
