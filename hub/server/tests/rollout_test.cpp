// The rollout state machine on its own: canary and soak, batches,
// maxUnavailable, halting, offline agents, pause, resume and abort.
#include "hub/server/rollout.h"

#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/text.h"

using namespace drover;
using namespace drover::hub;

namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kAway = 60 * kMinute;

struct Fleet {
    std::vector<RolloutAgent> agents;

    RolloutAgent& add(const std::string& name, Labels labels = {}, bool online = true) {
        agents.push_back({.id = "id-" + name, .name = name, .labels = std::move(labels), .online = online,
                          .offline_ms = online ? 0 : kAway});
        return agents.back();
    }
    // Offline for longer than the default offlineGrace.
    void away(const std::string& name) {
        (*this)[name].online = false;
        (*this)[name].offline_ms = kAway;
    }
    RolloutAgent& operator[](const std::string& name) {
        for (auto& a : agents)
            if (a.name == name) return a;
        FAIL("no agent ", name);
        return agents.front();
    }
    // Names of the agents that have the new revision, sorted.
    std::vector<std::string> updated(const Rollout& r) const {
        std::vector<std::string> out;
        for (auto& a : agents)
            if (r.updated(a.id)) out.push_back(a.name);
        std::sort(out.begin(), out.end());
        return out;
    }
    void ready(const Rollout& r) {
        for (auto& a : agents)
            if (r.updated(a.id) && a.online) a.state = "Ready";
    }
};

render::RolloutPolicy canary_policy(int64_t soak_ms) {
    render::RolloutPolicy p;
    render::Selector ring;
    ring.match_labels = {{"ring", "canary"}};
    p.canary = render::Match{.selector = ring};
    p.soak_ms = soak_ms;
    return p;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("the canary gets the revision first; the rest wait until it has been Ready for the soak time") {
    Fleet f;
    f.add("c1", {{"ring", "canary"}});
    for (auto n : {"a", "b", "d"}) f.add(n);
    auto policy = canary_policy(10 * kMinute);
    policy.batch_size = render::AgentCount{2, false};
    policy.progress_deadline_ms = 60 * kMinute;
    Rollout r(policy);

    r.step(f.agents, 0);
    CHECK(f.updated(r) == Names{"c1"});
    CHECK(r.phase() == Rollout::Phase::canary);
    f["c1"].state = "Applying";
    r.step(f.agents, kMinute);
    CHECK(r.phase() == Rollout::Phase::canary);

    f["c1"].state = "Ready";
    r.step(f.agents, 2 * kMinute);  // soak starts
    CHECK(r.phase() == Rollout::Phase::soaking);
    r.step(f.agents, 11 * kMinute);
    CHECK(f.updated(r) == Names{"c1"});
    f["c1"].state = "NotReady";  // leaving Ready starts the soak over
    r.step(f.agents, 11 * kMinute + 1);
    CHECK(r.phase() == Rollout::Phase::canary);
    f["c1"].state = "Ready";
    r.step(f.agents, 12 * kMinute);
    r.step(f.agents, 21 * kMinute);
    CHECK(r.phase() == Rollout::Phase::soaking);
    r.step(f.agents, 22 * kMinute);
    CHECK(r.phase() == Rollout::Phase::batches);
    CHECK(f.updated(r) == Names{"a", "b", "c1"});
    CHECK(r.progress().updated == 3);
    CHECK(r.progress().waiting == 1);
}

TEST_CASE("batches respect batchSize and start only when the one in flight is Ready") {
    Fleet f;
    for (auto n : {"e", "d", "c", "b", "a"}) f.add(n);
    render::RolloutPolicy policy;
    policy.batch_size = render::AgentCount{40, true};  // 2 of 5
    Rollout r(policy);
    r.step(f.agents, 0);
    CHECK(f.updated(r) == Names{"a", "b"});
    r.step(f.agents, kMinute);
    CHECK(f.updated(r) == Names{"a", "b"});  // not Ready yet
    f.ready(r);
    r.step(f.agents, 2 * kMinute);
    CHECK(f.updated(r) == Names{"a", "b", "c", "d"});
    f.ready(r);
    r.step(f.agents, 3 * kMinute);
    CHECK(f.updated(r) == Names{"a", "b", "c", "d", "e"});
    f.ready(r);
    r.step(f.agents, 4 * kMinute);
    CHECK(r.phase() == Rollout::Phase::complete);
    CHECK(r.progress().ready == 5);
    // Complete: an agent that joins later gets the revision at once.
    CHECK(r.updated("id-newcomer"));
}

TEST_CASE("maxUnavailable bounds how many updated agents may be not Ready at once") {
    Fleet f;
    for (auto n : {"a", "b", "c"}) f.add(n);
    render::RolloutPolicy policy;
    policy.max_unavailable = render::AgentCount{1, false};
    Rollout r(policy);
    r.step(f.agents, 0);
    CHECK(f.updated(r) == Names{"a"});
    f.ready(r);
    r.step(f.agents, 1);
    CHECK(f.updated(r) == Names{"a", "b"});
}

TEST_CASE("a failing canary halts the rollout and everyone else stays on the previous revision") {
    Fleet f;
    f.add("c1", {{"ring", "canary"}});
    f.add("a");
    Rollout r(canary_policy(0));
    r.step(f.agents, 0);
    f["c1"].state = "Failed";
    f["c1"].message = "deployment web: image pull failed";
    r.step(f.agents, kMinute);  // it may yet succeed: nothing advances meanwhile
    CHECK(r.phase() == Rollout::Phase::canary);
    CHECK(f.updated(r) == Names{"c1"});
    r.step(f.agents, 10 * kMinute);  // the default progressDeadline
    CHECK(r.phase() == Rollout::Phase::halted);
    CHECK(r.reason() ==
          "1 agent failed, more than failureThreshold 0: c1 Failed after 600 s: deployment web: image pull failed");
    f["c1"].state = "Ready";  // recovering does not resume a halted rollout
    r.step(f.agents, 11 * kMinute);
    CHECK(f.updated(r) == Names{"c1"});
    CHECK(r.phase() == Rollout::Phase::halted);
}

TEST_CASE("failures within failureThreshold are tolerated; one more halts; not Ready counts after progressDeadline") {
    Fleet f;
    for (int i = 0; i < 10; ++i) f.add(cat("a", i));
    render::RolloutPolicy policy;
    policy.failure_threshold = render::AgentCount{20, true};  // 2 of 10
    policy.progress_deadline_ms = 5 * kMinute;
    Rollout r(policy);
    r.step(f.agents, 0);
    f.ready(r);
    f["a0"].state = "Failed";
    f["a1"].state = "NotReady";
    f["a2"].state = "WaitingForDependency";
    f["a3"].state = "NotReady";
    r.step(f.agents, kMinute);
    CHECK(r.progress().failed == 0);  // within the deadline
    f["a3"].state = "Ready";
    r.step(f.agents, 5 * kMinute - 1);
    CHECK(r.progress().failed == 0);
    r.step(f.agents, 5 * kMinute);  // a0 and a1 fail; waiting for a dependency is no failure
    CHECK(r.phase() == Rollout::Phase::complete);  // within the threshold: everyone has it
    CHECK(r.progress().failed == 1);               // done: a0 still reports Failed

    Rollout s(policy);  // the same, with one more failure
    for (auto& a : f.agents) a.state = a.name == "a2" ? "WaitingForDependency" : "Ready";
    f["a0"].state = "Failed";
    f["a1"].state = "NotReady";
    f["a4"].state = "Failed";
    s.step(f.agents, 0);
    s.step(f.agents, 5 * kMinute);
    CHECK(s.phase() == Rollout::Phase::halted);
    CHECK(s.reason().starts_with(
        "3 agents failed, more than failureThreshold 20%: a0 Failed after 300 s; a1 NotReady after 300 s"));
}

TEST_CASE("an agent offline when its batch comes is skipped, then updated when it returns; never after a halt") {
    Fleet f;
    f.add("a");
    f.add("b", {}, false);
    f.add("c");
    f.add("d");
    render::RolloutPolicy policy;
    policy.batch_size = render::AgentCount{2, false};
    Rollout r(policy);
    r.step(f.agents, 0);
    CHECK(f.updated(r) == Names{"a", "c"});  // b skipped: its slot goes to the next online agent
    CHECK(r.progress().offline_skipped == 1);
    f.ready(r);
    r.step(f.agents, 1);
    CHECK(f.updated(r) == Names{"a", "c", "d"});
    f["b"].online = true;
    r.step(f.agents, 2);
    CHECK(f.updated(r) == Names{"a", "b", "c", "d"});

    // An updated agent that goes offline before it is Ready does not hold its batch.
    Fleet g;
    g.add("a");
    g.add("b");
    g.add("x", {}, false);
    Rollout s(policy);
    s.step(g.agents, 0);
    g.away("a");
    g["b"].state = "Ready";
    s.step(g.agents, 1);
    CHECK(s.phase() == Rollout::Phase::complete);  // x was skipped, nobody else waits
    CHECK(g.updated(s) == Names{"a", "b", "x"});    // x gets it when it returns

    // Halted: a skipped agent that returns keeps the previous revision.
    Fleet h;
    h.add("a");
    h.add("b", {}, false);
    h.add("c");
    Rollout t(render::RolloutPolicy{.batch_size = render::AgentCount{1, false}});
    t.step(h.agents, 0);
    h["a"].state = "Ready";
    t.step(h.agents, 1);  // b's turn: skipped, and c's batch starts at once
    CHECK(h.updated(t) == Names{"a", "c"});
    h["c"].state = "Failed";
    t.step(h.agents, 1 + 10 * kMinute);
    REQUIRE(t.phase() == Rollout::Phase::halted);
    h["b"].online = true;
    t.step(h.agents, 2 + 10 * kMinute);
    CHECK(h.updated(t) == Names{"a", "c"});
}

TEST_CASE("pause holds the rollout, resume continues it, paused: true starts it held; abort takes the revision back") {
    Fleet f;
    for (auto n : {"a", "b"}) f.add(n);
    render::RolloutPolicy policy;
    policy.batch_size = render::AgentCount{1, false};
    Rollout held(policy, {}, true);
    held.step(f.agents, 0);
    CHECK(f.updated(held).empty());
    held.resume();
    held.step(f.agents, 1);
    CHECK(f.updated(held) == Names{"a"});
    f.ready(held);
    held.pause();
    held.step(f.agents, 2);
    CHECK(f.updated(held) == Names{"a"});
    held.resume();
    held.step(f.agents, 3);
    CHECK(f.updated(held) == Names{"a", "b"});

    held.abort("aborted by the operator");
    CHECK(f.updated(held).empty());
    CHECK(held.phase() == Rollout::Phase::aborted);
    CHECK(held.reason() == "aborted by the operator");
    held.step(f.agents, 4);
    CHECK(f.updated(held).empty());
}

TEST_CASE("orderBy takes agents by the label's value, then name; agents without it go last") {
    Fleet f;
    f.add("a", {{"region", "us"}});
    f.add("b");
    f.add("c", {{"region", "eu"}});
    f.add("d", {{"region", "eu"}});
    render::RolloutPolicy policy;
    policy.batch_size = render::AgentCount{1, false};
    policy.order_by = "region";
    Rollout r(policy);
    std::vector<std::string> order;
    for (int i = 0; i < 4; ++i) {
        r.step(f.agents, i);
        for (auto& a : f.agents)
            if (r.updated(a.id) && a.state.empty()) {
                order.push_back(a.name);
                a.state = "Ready";
            }
    }
    CHECK(order == Names{"c", "d", "a", "b"});
}

TEST_CASE("without targeted canary agents the rollout goes straight to batches; an offline canary is waited for") {
    Fleet f;
    f.add("a");
    Rollout none(canary_policy(kMinute));
    none.step(f.agents, 0);
    CHECK(none.phase() == Rollout::Phase::batches);
    CHECK(f.updated(none) == Names{"a"});

    f.add("c1", {{"ring", "canary"}}, false);
    Rollout waiting(canary_policy(kMinute));
    waiting.step(f.agents, 0);
    CHECK(f.updated(waiting).empty());
    CHECK(waiting.phase() == Rollout::Phase::canary);
    f["c1"].online = true;
    waiting.step(f.agents, 1);
    CHECK(f.updated(waiting) == Names{"c1"});
}

TEST_CASE("a full maxUnavailable window waits: a canary leaving Ready after the soak holds the next batch") {
    Fleet f;
    f.add("c1", {{"ring", "canary"}});
    for (auto n : {"a", "b"}) f.add(n);
    auto policy = canary_policy(0);
    policy.max_unavailable = render::AgentCount{1, false};
    policy.batch_size = render::AgentCount{1, false};
    Rollout r(policy);
    r.step(f.agents, 0);
    f["c1"].state = "Ready";
    r.step(f.agents, 1);  // soak of 0: straight to batches, a is updated
    CHECK(f.updated(r) == Names{"a", "c1"});
    f["a"].state = "Ready";
    f["c1"].state = "NotReady";  // the window (1) is full with c1
    r.step(f.agents, 2);         // must return, not spin
    CHECK(f.updated(r) == Names{"a", "c1"});
    CHECK(r.phase() == Rollout::Phase::batches);
    f["c1"].state = "Ready";
    r.step(f.agents, 3);
    CHECK(f.updated(r) == Names{"a", "b", "c1"});
}

TEST_CASE("state() and restore() carry a rollout across a hub restart") {
    Fleet f;
    for (auto n : {"a", "b", "c", "d", "e"}) f.add(n);
    f.away("d");
    render::RolloutPolicy policy;
    policy.batch_size = render::AgentCount{2, false};
    policy.progress_deadline_ms = 60 * kMinute;
    Rollout r(policy);
    r.step(f.agents, 0);
    f.ready(r);
    r.step(f.agents, 1);  // c and e; d skipped
    r.pause();
    CHECK(f.updated(r) == Names{"a", "b", "c", "e"});

    Rollout back(policy);
    back.restore(r.state());
    CHECK(back.paused());
    CHECK(back.phase() == Rollout::Phase::batches);
    CHECK(f.updated(back) == Names{"a", "b", "c", "e"});
    back.resume();
    f["d"].online = true;
    back.step(f.agents, 2);  // the skipped agent is remembered: updated on return
    CHECK(f.updated(back) == Names{"a", "b", "c", "d", "e"});

    r.abort("operator");
    Rollout aborted(policy);
    aborted.restore(r.state());
    CHECK(aborted.phase() == Rollout::Phase::aborted);
    CHECK(aborted.reason() == "operator");
    CHECK(f.updated(aborted).empty());

    Rollout garbage(policy);
    garbage.restore(nlohmann::json::parse(R"({"phase": 7, "updated": {"x": "y"}, "batch": [1]})"));
    CHECK(garbage.phase() == Rollout::Phase::batches);
    CHECK(garbage.updated_ids().empty());
}

TEST_CASE("complete with agents skipped offline: they get it on return unless a failure halted it first") {
    Fleet f;
    for (auto n : {"a", "b", "c"}) f.add(n);
    f.away("b");
    f.away("c");
    render::RolloutPolicy policy;
    policy.progress_deadline_ms = kMinute;
    Rollout r(policy);
    r.step(f.agents, 0);  // a; b and c skipped
    f["a"].state = "Ready";
    r.step(f.agents, 1);  // a's batch is done and nobody waits any more
    CHECK(r.phase() == Rollout::Phase::complete);
    CHECK(r.awaiting_returns());
    CHECK(r.progress().offline_skipped == 2);
    f["b"].online = true;
    r.step(f.agents, 2);  // b is back, and recorded
    CHECK(r.updated("id-b"));
    f["a"].state = "Failed";
    r.step(f.agents, 2 * kMinute);
    CHECK(r.phase() == Rollout::Phase::halted);
    f["c"].online = true;
    r.step(f.agents, 3 * kMinute);
    CHECK(f.updated(r) == Names{"a", "b"});  // c keeps the previous revision

    Rollout gone(policy);
    f.away("c");
    f["a"].state = f["b"].state = "Ready";
    gone.step(f.agents, 0);
    gone.step(f.agents, 1);
    CHECK(gone.awaiting_returns());
    f.agents.pop_back();  // c is no longer targeted: nothing left to wait for
    gone.step(f.agents, 2);
    CHECK(!gone.awaiting_returns());
}

TEST_CASE("an agent offline for less than offlineGrace is passed over, not skipped: a hub restart completes nothing") {
    Fleet f;
    for (auto n : {"a", "b", "c", "d"}) f.add(n);
    render::RolloutPolicy policy;
    policy.batch_size = render::AgentCount{1, false};
    policy.progress_deadline_ms = 60 * kMinute;
    policy.offline_grace_ms = 5 * kMinute;
    Rollout r(policy);
    r.step(f.agents, 0);
    CHECK(f.updated(r) == Names{"a"});
    f["a"].state = "Failed";  // within the deadline: its batch holds

    // The hub restarts: everyone is offline for a moment.
    for (auto& a : f.agents) {
        a.online = false;
        a.offline_ms = kMinute;
    }
    Rollout back(policy);
    back.restore(r.state());
    back.step(f.agents, kMinute);
    CHECK(back.phase() == Rollout::Phase::batches);
    CHECK(f.updated(back) == Names{"a"});
    CHECK(back.progress().offline_skipped == 0);
    f["a"].online = true;
    f["a"].offline_ms = 0;
    back.step(f.agents, kMinute + 1);
    CHECK(f.updated(back) == Names{"a"});  // a's batch still holds

    // b stays away briefly: c goes first; once b is away for the grace it is skipped.
    f["a"].state = "Ready";
    f["c"].online = f["d"].online = true;
    f["c"].offline_ms = f["d"].offline_ms = 0;
    back.step(f.agents, kMinute + 2);
    CHECK(f.updated(back) == Names{"a", "c"});
    f["c"].state = "Ready";
    f["b"].offline_ms = 5 * kMinute;
    back.step(f.agents, kMinute + 3);
    CHECK(f.updated(back) == Names{"a", "c", "d"});
    CHECK(back.progress().offline_skipped == 1);
}

TEST_CASE("step() names the agents it updated; a finished rollout keeps no per-agent state") {
    Fleet f;
    for (auto n : {"a", "b", "c"}) f.add(n);
    render::RolloutPolicy policy;
    policy.batch_size = render::AgentCount{2, false};
    Rollout r(policy);
    CHECK(r.step(f.agents, 0) == Names{"id-a", "id-b"});
    CHECK(r.step(f.agents, 1).empty());  // the batch is in flight
    f.ready(r);
    CHECK(r.step(f.agents, 2) == Names{"id-c"});
    f.ready(r);
    CHECK(r.step(f.agents, 3).empty());
    REQUIRE(r.done());
    CHECK(r.updated_ids().empty());  // everyone has it: nothing to list
    CHECK(r.updated("id-someone-new"));
    CHECK(r.state().at("updated").empty());
    f["a"].state = "Failed";
    r.step(f.agents, 3 + policy.progress_deadline_ms);
    CHECK(r.phase() == Rollout::Phase::complete);  // over: a later failure halts nothing
    CHECK(r.progress().failed == 1);                // and is still shown
}
