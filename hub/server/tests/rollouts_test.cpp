// Rollouts in the Fleet, through real sessions: who is sent which revision
// while a bundle's rollout runs, superseding pushes, a hub restart, abort.
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;

namespace {

const std::string kC1 = std::string(40, '1'), kC2 = std::string(40, '2'), kC3 = std::string(40, '3');

render::FileMap web_files(const std::string& version, const std::string& rollout) {
    return {{"web/bundle.yaml", "namespace: web\ntargets: [{selector: {matchLabels: {role: gw}}}]\n" + rollout},
            {"web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '" + version + "'}\n"}};
}

constexpr const char* kCanaryFirst =
    "rollout:\n  canary: {selector: {matchLabels: {ring: canary}}}\n  batchSize: 1\n  progressDeadline: 1m\n";

// One connected agent and the last desired state it was sent.
struct Agent {
    Hub& hub;
    std::string name;
    Labels labels;
    MemoryTransport t;
    std::unique_ptr<AgentSession> s;
    std::string id;
    v1::DesiredState desired;
    uint64_t seq = 0;

    Agent(Hub& h, std::string n, Labels l) : hub(h), name(std::move(n)), labels(std::move(l)) {
        s = std::make_unique<AgentSession>(*hub.fleet, t);
        s->on_frame(hello_frame(name, labels, hub.token()));
        auto sent = t.take();
        id = sent.at(0).welcome().agent_id();
        for (auto& env : sent)
            if (env.has_desired()) desired = env.desired();
        hub.fleet->flush_queued();  // stores its labels, as the server's loop does after each pass
    }
    // The revision of web it was last sent; "" for none.
    std::string web() {
        for (auto& env : t.take())
            if (env.has_desired()) desired = env.desired();
        for (auto& d : desired.bundles())
            if (d.bundle() == "web") return d.revision();
        return "";
    }
    // Reports web in `state` for what it was sent.
    void report(v1::State state) {
        web();
        for (auto& d : desired.bundles()) {
            v1::Envelope env;
            auto* st = env.mutable_status();
            st->set_seq(++seq);
            st->set_bundle(d.bundle());
            st->set_digest(d.digest());
            st->set_revision(d.revision());
            st->set_state(state);
            s->on_frame(wire::encode(env));
        }
        hub.fleet->flush_queued();
    }
};

std::shared_ptr<const Deployment> built(Hub& hub, const std::string& commit, const render::FileMap& files) {
    auto d = build_deployment(commit, files, hub.key);
    REQUIRE(d);
    return *d;
}

std::string web_of(Fleet& fleet, const Agent& a) {
    for (auto& d : fleet.desired_for(a.id, a.labels, a.name))
        if (d.bundle() == "web") return d.revision();
    return "";
}

}  // namespace

TEST_CASE("agents keep their revision until their turn; a newer push supersedes; a restart holds the same; abort") {
    Hub hub;  // web deployed at kC1 without a rollout (session_fixture)
    hub.deploy(web_files("1", ""), kC1);
    Agent c(hub, "c", {{"role", "gw"}, {"ring", "canary"}}), a(hub, "a", {{"role", "gw"}}), b(hub, "b", {{"role", "gw"}});
    CHECK(c.web() == kC1);
    CHECK(a.web() == kC1);

    hub.deploy(web_files("2", kCanaryFirst), kC2);
    CHECK(c.web() == kC2);  // the canary, at once
    CHECK(a.web() == kC1);
    CHECK(b.web() == kC1);
    // Both revisions' content is served.
    for (auto* agent : {&a, &c}) CHECK(hub.fleet->content(agent->desired.bundles(0).digest()));

    c.report(v1::READY);  // soak 0: the first batch (a, by name) at once
    hub.fleet->step_rollouts();
    CHECK(a.web() == kC2);
    CHECK(b.web() == kC1);

    // v3 supersedes: the canary first again; a keeps v2 until its turn, b v1.
    hub.deploy(web_files("3", kCanaryFirst), kC3);
    CHECK(c.web() == kC3);
    CHECK(a.web() == kC2);
    CHECK(b.web() == kC1);
    CHECK(hub.fleet->rollouts().find("web")->from == kC1);
    CHECK(referenced_commits(hub.store->rollouts()) == std::set<std::string>{kC1, kC2});

    SUBCASE("a restarted hub sends every agent what it had") {
        Fleet again(*hub.store, hub.key.public_pem(), [&hub] { return hub.now; });
        again.deploy(built(hub, kC3, web_files("3", kCanaryFirst)), true,
                     {{kC1, built(hub, kC1, web_files("1", ""))}, {kC2, built(hub, kC2, web_files("2", kCanaryFirst))}});
        CHECK(web_of(again, c) == kC3);
        CHECK(web_of(again, a) == kC2);
        CHECK(web_of(again, b) == kC1);

        SUBCASE("a commit it kept agents on that no longer renders ends the rollout, and says so") {
            Fleet lost(*hub.store, hub.key.public_pem(), [&hub] { return hub.now; });
            lost.deploy(built(hub, kC3, web_files("3", kCanaryFirst)), true, {{kC1, built(hub, kC1, web_files("1", ""))}});
            CHECK(web_of(lost, a) == kC3);
            CHECK(hub.store->events_of_kind("rollout", 1).at(0).message.find("could not be rendered again") !=
                  std::string::npos);
        }
    }

    SUBCASE("the next batches take the held agents to v3") {
        c.report(v1::READY);
        hub.fleet->step_rollouts();
        CHECK(a.web() == kC3);  // a before b
        CHECK(b.web() == kC1);
        a.report(v1::READY);
        hub.fleet->step_rollouts();
        CHECK(b.web() == kC3);
        b.report(v1::READY);
        hub.fleet->step_rollouts();
        CHECK(hub.fleet->rollouts().find("web")->engine.phase() == Rollout::Phase::complete);
        CHECK(referenced_commits(hub.store->rollouts()).empty());
        // Done: the stored record no longer lists agents (it is rewritten on every push).
        MESSAGE("a finished rollout's record: ", hub.store->rollouts().at("web").size(), " bytes");
        CHECK(hub.store->rollouts().at("web").find(a.id) == std::string::npos);
    }

    SUBCASE("abort takes everyone back to where the rollouts started") {
        REQUIRE(hub.fleet->control_rollout("web", Fleet::RolloutAction::abort, "the test"));
        CHECK(c.web() == kC1);
        CHECK(a.web() == kC1);
        CHECK(b.web() == kC1);
        auto again = hub.fleet->control_rollout("web", Fleet::RolloutAction::pause, "the test");
        REQUIRE(!again);
        CHECK(again.error().message == "the rollout of web to 333333333333 is aborted: there is nothing to pause");
    }
}

TEST_CASE("a commit that leaves the specs alone keeps the rollout (paused: flips it); one without a policy ends it") {
    Hub hub;
    hub.deploy(web_files("1", ""), kC1);
    Agent c(hub, "c", {{"role", "gw"}, {"ring", "canary"}}), a(hub, "a", {{"role", "gw"}});
    hub.deploy(web_files("2", kCanaryFirst), kC2);
    CHECK(c.web() == kC2);
    CHECK(a.web() == kC1);

    hub.deploy(web_files("2", std::string("paused: true\n") + kCanaryFirst), kC3);
    auto* r = hub.fleet->rollouts().find("web");
    REQUIRE(r);
    CHECK(r->engine.paused());
    CHECK(r->from == kC1);
    CHECK(c.web() == kC3);  // the same specs, now signed for the deployed commit
    c.report(v1::READY);
    hub.fleet->step_rollouts();
    CHECK(a.web() == kC1);  // paused

    hub.deploy(web_files("2", ""), std::string(40, '4'));
    CHECK(!hub.fleet->rollouts().find("web"));
    CHECK(a.web() == std::string(40, '4'));
    CHECK(hub.store->rollouts().empty());
}

TEST_CASE("a restarted hub waits offlineGrace for its agents before skipping them: a batch in flight holds") {
    Hub hub;
    hub.deploy(web_files("1", ""), kC1);
    Agent a(hub, "a", {{"role", "gw"}}), b(hub, "b", {{"role", "gw"}}), c(hub, "c", {{"role", "gw"}});
    hub.deploy(web_files("2", "rollout: {batchSize: 1, progressDeadline: 1h, offlineGrace: 5m}\n"), kC2);
    CHECK(a.web() == kC2);
    a.report(v1::FAILED);  // within the deadline: its batch holds

    hub.now += 60'000;  // the hub restarts a minute later; nobody has reconnected yet
    Fleet again(*hub.store, hub.key.public_pem(), [&hub] { return hub.now; });
    again.deploy(built(hub, kC2, web_files("2", "rollout: {batchSize: 1, progressDeadline: 1h, offlineGrace: 5m}\n")),
                 true, {{kC1, built(hub, kC1, web_files("1", ""))}});
    hub.now += 60'000;
    again.step_rollouts();
    CHECK(again.rollouts().find("web")->engine.phase() == Rollout::Phase::batches);
    CHECK(web_of(again, b) == kC1);
    CHECK(web_of(again, c) == kC1);
    hub.now += 5 * 60'000;  // still nobody after the grace: skipped, each to get it when back
    again.step_rollouts();
    CHECK(again.rollouts().find("web")->engine.awaiting_returns());
}

TEST_CASE("a push after the deployed revision failed to load at start goes to everyone, not to nobody") {
    Hub hub;
    hub.deploy(web_files("1", ""), kC1);
    Agent a(hub, "a", {{"role", "gw"}});
    Fleet again(*hub.store, hub.key.public_pem(), [&hub] { return hub.now; });
    again.set_deployment_pending(true);  // as at start, and the stored revision did not render
    again.deploy(built(hub, kC2, web_files("2", kCanaryFirst)));
    CHECK(web_of(again, a) == kC2);
    CHECK(!again.rollouts().find("web"));
    CHECK(hub.store->events_of_kind("rollout", 1).at(0).message.find("goes to every agent at once") != std::string::npos);
    CHECK(hub.store->setting("deployed_commit") == kC2);
}
