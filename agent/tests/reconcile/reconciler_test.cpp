#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "agent/apply/dir_applier.h"
#include "agent/reconcile/reconciler.h"
#include "agent/tests/reconcile/fake_applier.h"
#include "common/testing/temp_dir.h"
#include "common/crypto.h"
#include "common/fs.h"
#include "proto/desired_set.h"
#include "proto/states.h"

using namespace drover;
using nlohmann::json;
using drover::testing::FakeApplier;
using drover::testing::TempDir;

namespace {

json config_map(const std::string& name, const std::string& value = "1") {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"data", {{"k", value}}}};
}

struct SpecOptions {
    std::vector<std::string> depends_on;
    bool keep_resources = false;
    bool self_heal = true;
};

std::string spec_json(const std::string& bundle, const std::vector<json>& objects, const SpecOptions& o = {}) {
    json spec = {{"bundle", bundle},
                 {"namespace", "default"},
                 {"objects", objects},
                 {"policy", {{"dependsOn", o.depends_on}, {"keepResources", o.keep_resources}, {"selfHeal", o.self_heal}}}};
    return spec.dump();
}

// A cache with a pinned hub key, a reconciler over it and a fake clock.
struct Agent {
    TempDir dir;
    std::unique_ptr<cache::Cache> cache;
    cache::Cache* writer = nullptr;  // where publish() and desire() write
    SigningKey key = *SigningKey::from_pem(generate_p256_key_pem());
    int pokes = 0;
    int64_t now = 1'700'000'000'000;

    Agent() {
        auto c = cache::Cache::open(dir / "cache.db", sql::Durability::normal);
        REQUIRE(c);
        cache = std::move(*c);
        writer = cache.get();
        cache->identity().save({"agt_1", "edge-1", "cred", key.public_pem(), "wss://hub"});
    }

    reconcile::Reconciler reconciler(apply::Applier& applier) {
        return reconcile::Reconciler(*cache, applier, [this] { ++pokes; }, [this] { return now; });
    }

    // Stores content for the spec and returns its signed deployment entry.
    cache::Deployment publish(const std::string& bundle, const std::vector<json>& objects, const SpecOptions& o = {},
                              const std::string& revision = "rev1", bool store_content = true) {
        std::string spec = spec_json(bundle, objects, o);
        std::string digest = sha256(spec);
        if (store_content) writer->content().complete(digest, spec);
        return {bundle, revision, digest, key.sign(spec_signing_message(bundle, revision, digest)), spec.size()};
    }

    void desire(std::vector<cache::Deployment> bundles) {
        std::vector<DesiredEntry> entries;
        for (auto& d : bundles) entries.push_back({d.bundle, d.revision, d.digest});
        writer->desired().replace({desired_set_hash(entries, VerifyKey::from_pem(key.public_pem())->fingerprint()), bundles});
    }

    std::vector<cache::Status> statuses() { return cache->outbox().pending(0, 10000); }

    // "web:Applying", ... in outbox order.
    std::vector<std::string> trail() {
        std::vector<std::string> out;
        for (auto& s : statuses()) out.push_back(s.bundle + ":" + state_name(s.state));
        return out;
    }

    std::optional<cache::Status> last(const std::string& bundle) {
        std::optional<cache::Status> out;
        for (auto& s : statuses())
            if (s.bundle == bundle) out = s;
        return out;
    }
};

using Trail = std::vector<std::string>;

}  // namespace

TEST_CASE("reconciler applies desired bundles in dependsOn order, then by name") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("w")}, {.depends_on = {"infra"}}),
                  agent.publish("infra", {config_map("i")}, {.depends_on = {"base"}}),
                  agent.publish("base", {config_map("b")}), agent.publish("alpha", {config_map("a")})});
    r.reconcile(false);
    CHECK(applier.calls == std::vector<std::string>{"apply alpha", "apply base", "apply infra", "apply web"});
    CHECK(agent.trail() == Trail{"alpha:Applying", "alpha:Ready", "base:Applying", "base:Ready", "infra:Applying",
                                 "infra:Ready", "web:Applying", "web:Ready"});
    CHECK(agent.pokes == 1);
    auto ready = agent.last("web");
    CHECK(ready->resources == 1);
    CHECK(ready->revision == "rev1");
    CHECK(ready->time_unix_ms == agent.now);
    auto applied = agent.cache->applied().find("web");
    REQUIRE(applied);
    CHECK(applied->state == v1::READY);
}

TEST_CASE("a bundle waits for a dependency that is not Ready, then follows it") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    auto infra = agent.publish("infra", {config_map("i")}, {}, "rev1", /*store_content=*/false);
    agent.desire({agent.publish("web", {config_map("w")}, {.depends_on = {"infra"}}), infra});
    r.reconcile(false);
    CHECK(applier.calls.empty());
    CHECK(agent.trail() == Trail{"infra:Pending", "web:WaitingForDependency"});
    CHECK(agent.last("web")->message == "waiting for infra (Pending)");

    // The content arrives: both go, in order, in one pass.
    agent.publish("infra", {config_map("i")});
    r.reconcile(false);
    CHECK(applier.calls == std::vector<std::string>{"apply infra", "apply web"});
    CHECK(agent.last("infra")->state == v1::READY);
    CHECK(agent.last("web")->state == v1::READY);
}

TEST_CASE("a dependency that is not deployed to this agent keeps the bundle waiting, without an error") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("w")}, {.depends_on = {"infra"}})});
    r.reconcile(false);
    CHECK(applier.calls.empty());
    CHECK(agent.last("web")->state == v1::WAITING_FOR_DEPENDENCY);
    CHECK(agent.last("web")->message == "waiting for infra (not deployed to this agent)");
}

TEST_CASE("a failed dependency keeps its dependents waiting") {
    Agent agent;
    FakeApplier applier;
    applier.fail_apply["infra"] = "disk full";
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("w")}, {.depends_on = {"infra"}}),
                  agent.publish("infra", {config_map("i")})});
    r.reconcile(false);
    CHECK(agent.last("infra")->state == v1::FAILED);
    CHECK(agent.last("infra")->message == "disk full");
    CHECK(agent.last("web")->message == "waiting for infra (Failed)");
}

TEST_CASE("a tampered cached spec is dropped and refetched, never applied") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    auto web = agent.publish("web", {config_map("w")});
    agent.desire({web});
    // Someone edits the cached spec on disk.
    agent.cache->content().complete(web.digest, spec_json("web", {config_map("w", "evil")}));
    r.reconcile(false);
    CHECK(applier.calls.empty());
    CHECK(agent.last("web")->state == v1::FAILED);
    CHECK(agent.last("web")->message == "cached spec failed verification; refetching");
    CHECK_FALSE(agent.cache->content().has(web.digest));
    CHECK(agent.pokes == 1);  // the session is told to fetch it again

    // Refetched intact: applied.
    agent.publish("web", {config_map("w")});
    r.reconcile(false);
    CHECK(applier.calls == std::vector<std::string>{"apply web"});
    CHECK(agent.last("web")->state == v1::READY);
}

TEST_CASE("a cached desired entry whose signature does not verify is refused") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    auto web = agent.publish("web", {config_map("w")});
    auto other = *SigningKey::from_pem(generate_p256_key_pem());
    web.signature = other.sign(spec_signing_message(web.bundle, web.revision, web.digest));
    agent.desire({web});
    r.reconcile(false);
    CHECK(applier.calls.empty());
    CHECK(agent.last("web")->state == v1::FAILED);
    CHECK(agent.last("web")->message ==
          "cached desired entry failed signature verification; asking the hub again");
    // The content is fine and stays; the next Hello reports no desired hash,
    // so the hub sends the signed set again.
    CHECK(agent.cache->content().has(web.digest));
    CHECK(agent.cache->desired().load().hash.empty());
}

TEST_CASE("a bundle that leaves the desired set is pruned and reported Removed") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a"), config_map("b")}), agent.publish("infra", {config_map("i")})});
    r.reconcile(false);
    REQUIRE(applier.live.count("web"));
    agent.desire({agent.publish("infra", {config_map("i")})});
    r.reconcile(false);
    CHECK(applier.calls.back() == "prune web");
    CHECK_FALSE(applier.live.count("web"));
    CHECK(applier.live.count("infra"));
    CHECK(agent.last("web")->state == v1::REMOVED);
    CHECK_FALSE(agent.cache->applied().find("web"));
    // Nothing more is said about it.
    auto count = agent.statuses().size();
    r.reconcile(true);
    CHECK(agent.statuses().size() == count);
}

TEST_CASE("keepResources leaves a removed bundle's objects in place") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")}, {.keep_resources = true})});
    r.reconcile(false);
    agent.desire({});
    r.reconcile(false);
    CHECK(std::count(applier.calls.begin(), applier.calls.end(), "prune web") == 0);
    CHECK(applier.live.count("web"));
    CHECK(agent.last("web")->state == v1::REMOVED);
    CHECK(agent.last("web")->message.find("keepResources") != std::string::npos);
}

TEST_CASE("a bundle that fails to prune stays applied and is reported Failed until it can be removed") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")})});
    r.reconcile(false);
    applier.fail_prune["web"] = "permission denied";
    agent.desire({});
    r.reconcile(false);
    CHECK(agent.last("web")->state == v1::FAILED);
    CHECK(agent.last("web")->message == "cannot remove: permission denied");
    CHECK(agent.cache->applied().find("web"));
    applier.fail_prune.clear();
    r.reconcile(false);
    CHECK(agent.last("web")->state == v1::REMOVED);
}

TEST_CASE("a bundle that never got applied is reported Removed when it leaves the desired set") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")}, {}, "rev1", false)});
    r.reconcile(false);
    CHECK(agent.last("web")->state == v1::PENDING);
    agent.desire({});
    r.reconcile(false);
    CHECK(agent.last("web")->state == v1::REMOVED);
    CHECK(applier.calls.empty());
}

TEST_CASE("drift is reported as Modified and self-heal re-applies") {
    Agent agent;
    apply::DirApplier applier(agent.dir / "out");
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a"), config_map("b")})});
    r.reconcile(true);
    std::string file = agent.dir / "out/web/configmap.default.a.json";
    auto original = read_file(file);
    REQUIRE(original);

    REQUIRE(write_file_atomic(file, "{}\n"));
    r.reconcile(true);
    CHECK(agent.trail() == Trail{"web:Applying", "web:Ready", "web:Modified", "web:Applying", "web:Ready"});
    CHECK(agent.statuses()[2].message == "1 object drifted: ConfigMap default/a differs");
    CHECK(read_file(file).value() == *original);
}

TEST_CASE("without selfHeal drift stays Modified, is reported once, and clears when fixed by hand") {
    Agent agent;
    apply::DirApplier applier(agent.dir / "out");
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")}, {.self_heal = false})});
    r.reconcile(true);
    std::string file = agent.dir / "out/web/configmap.default.a.json";
    auto original = *read_file(file);
    REQUIRE(::unlink(file.c_str()) == 0);
    r.reconcile(true);
    r.reconcile(true);
    r.reconcile(false);
    CHECK(agent.trail() == Trail{"web:Applying", "web:Ready", "web:Modified"});
    CHECK(agent.last("web")->message == "1 object drifted: ConfigMap default/a missing");
    CHECK_FALSE(read_file(file));

    REQUIRE(write_file_atomic(file, original));
    r.reconcile(true);
    CHECK(agent.trail() == Trail{"web:Applying", "web:Ready", "web:Modified", "web:Ready"});
}

TEST_CASE("passes without changes emit no statuses and apply nothing") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")}), agent.publish("late", {config_map("l")}, {}, "r", false),
                  agent.publish("dep", {config_map("d")}, {.depends_on = {"late"}})});
    r.reconcile(true);
    auto count = agent.statuses().size();
    int pokes = agent.pokes;
    for (int i = 0; i < 5; ++i) r.reconcile(i % 2 == 0);
    CHECK(agent.statuses().size() == count);
    CHECK(agent.pokes == pokes);
    CHECK(std::count(applier.calls.begin(), applier.calls.end(), "apply web") == 1);
}

TEST_CASE("a failed apply is retried on periodic passes, not on every wake") {
    Agent agent;
    FakeApplier applier;
    applier.fail_apply["web"] = "boom";
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")})});
    r.reconcile(false);
    r.reconcile(false);
    CHECK(std::count(applier.calls.begin(), applier.calls.end(), "apply web") == 1);
    applier.fail_apply.clear();
    r.reconcile(true);
    CHECK(std::count(applier.calls.begin(), applier.calls.end(), "apply web") == 2);
    CHECK(agent.last("web")->state == v1::READY);
}

TEST_CASE("a failed apply records everything it may have created, so removal prunes it") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")})});
    r.reconcile(false);
    applier.fail_apply["web"] = "boom";
    agent.desire({agent.publish("web", {config_map("b")})});
    r.reconcile(false);
    auto rec = agent.cache->applied().find("web");
    REQUIRE(rec);
    auto inventory = apply::inventory_from_json(rec->inventory_json);
    REQUIRE(inventory);
    CHECK(inventory->size() == 2);
}

TEST_CASE("a new digest is applied over the old one, passing the previous inventory") {
    Agent agent;
    apply::DirApplier applier(agent.dir / "out");
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a"), config_map("b")})});
    r.reconcile(false);
    agent.desire({agent.publish("web", {config_map("b", "2")}, {}, "rev2")});
    r.reconcile(false);
    CHECK_FALSE(read_file(agent.dir / "out/web/configmap.default.a.json"));
    CHECK(read_file(agent.dir / "out/web/configmap.default.b.json"));
    CHECK(agent.last("web")->revision == "rev2");
    CHECK(agent.last("web")->state == v1::READY);
}

TEST_CASE("the same spec under a new revision is reported, not re-applied") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")}, {}, "rev1")});
    r.reconcile(false);
    agent.desire({agent.publish("web", {config_map("a")}, {}, "rev2")});
    r.reconcile(false);
    CHECK(std::count(applier.calls.begin(), applier.calls.end(), "apply web") == 1);
    CHECK(agent.last("web")->revision == "rev2");
    CHECK(agent.last("web")->state == v1::READY);
    CHECK(agent.cache->applied().find("web")->revision == "rev2");
}

TEST_CASE("after a restart with no hub the reconciler restores lost objects from the cache") {
    Agent agent;
    apply::DirApplier applier(agent.dir / "out");
    agent.desire({agent.publish("web", {config_map("a")})});
    {
        auto r = agent.reconciler(applier);
        r.reconcile(true);
    }
    // Reboot: the output was on tmpfs.
    std::string file = agent.dir / "out/web/configmap.default.a.json";
    REQUIRE(::unlink(file.c_str()) == 0);
    auto restarted = agent.reconciler(applier);
    restarted.reconcile(true);  // the startup pass
    CHECK(read_file(file));
    CHECK(agent.last("web")->state == v1::READY);
}

namespace {

// An applier killed after making everything live, before apply() returns.
struct Killed {};
class DiesAfterApplying final : public apply::Applier {
public:
    explicit DiesAfterApplying(apply::Applier& inner) : inner_(inner) {}
    apply::ApplyResult apply(std::string_view bundle, const std::vector<json>& objects,
                             const apply::Inventory& previous) override {
        inner_.apply(bundle, objects, previous);
        throw Killed{};
    }
    Result<void> prune(std::string_view bundle, const apply::Inventory& inventory) override {
        return inner_.prune(bundle, inventory);
    }
    Result<std::vector<apply::Difference>> drift(std::string_view bundle, const apply::Inventory& inventory,
                                                 const std::vector<json>& objects) override {
        return inner_.drift(bundle, inventory, objects);
    }

private:
    apply::Applier& inner_;
};

}  // namespace

TEST_CASE("objects of an apply cut short by a crash are pruned by the next revision") {
    Agent agent;
    apply::DirApplier dir(agent.dir / "out");
    agent.desire({agent.publish("web", {config_map("a"), config_map("b")}, {}, "rev1")});
    agent.reconciler(dir).reconcile(false);
    DiesAfterApplying dies(dir);
    agent.desire({agent.publish("web", {config_map("b"), config_map("c")}, {}, "rev2")});
    CHECK_THROWS_AS(agent.reconciler(dies).reconcile(false), Killed);
    REQUIRE(read_file(agent.dir / "out/web/configmap.default.c.json"));

    // Restarted, the agent finds rev3 desired: neither a nor c is in it.
    agent.desire({agent.publish("web", {config_map("b", "3")}, {}, "rev3")});
    agent.reconciler(dir).reconcile(true);
    CHECK_FALSE(read_file(agent.dir / "out/web/configmap.default.a.json"));
    CHECK_FALSE(read_file(agent.dir / "out/web/configmap.default.c.json"));
    CHECK(read_file(agent.dir / "out/web/configmap.default.b.json"));
    CHECK(agent.last("web")->state == v1::READY);
    CHECK(agent.last("web")->revision == "rev3");
}

TEST_CASE("an apply cut short by a crash is redone on restart, not taken for applied") {
    Agent agent;
    FakeApplier fake;
    DiesAfterApplying dies(fake);
    agent.desire({agent.publish("web", {config_map("a")})});
    CHECK_THROWS_AS(agent.reconciler(dies).reconcile(false), Killed);
    CHECK(agent.cache->applied().find("web")->state == v1::APPLYING);

    agent.reconciler(fake).reconcile(true);
    CHECK(std::count(fake.calls.begin(), fake.calls.end(), "apply web") == 2);
    CHECK(agent.trail() == Trail{"web:Applying", "web:Ready"});  // the repeated Applying is not news
    CHECK(agent.cache->applied().find("web")->state == v1::READY);
}

TEST_CASE("an invalid spec fails its bundle with the reason") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    std::string spec = R"({"bundle":"web","objects":[{"kind":"ConfigMap"}]})";
    std::string digest = sha256(spec);
    agent.cache->content().complete(digest, spec);
    agent.desire({{"web", "rev1", digest, agent.key.sign(spec_signing_message("web", "rev1", digest)), 0}});
    r.reconcile(false);
    CHECK(applier.calls.empty());
    CHECK(agent.last("web")->state == v1::FAILED);
    CHECK(agent.last("web")->message == "spec objects[0]: object has no apiVersion");
}

TEST_CASE("the reconciler thread runs a pass at start and on every wake, and stops when told") {
    Agent agent;
    FakeApplier applier;
    agent.desire({agent.publish("web", {config_map("a")})});
    std::mutex m;
    std::condition_variable cv;
    int pokes = 0;
    reconcile::Reconciler r(*agent.cache, applier, [&] {
        std::lock_guard lock(m);
        ++pokes;
        cv.notify_all();
    });
    auto wait_for_pokes = [&](int n) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, std::chrono::seconds(10), [&] { return pokes >= n; });
    };
    // The drift interval is far away: only the startup pass and wakes run.
    std::thread t([&] { r.run(std::chrono::hours(1)); });
    REQUIRE(wait_for_pokes(1));
    CHECK(applier.live.count("web"));

    // The session (another thread, its own connection) stores a new desired
    // set and wakes the reconciler.
    auto session_cache = cache::Cache::open(agent.dir / "cache.db", sql::Durability::normal);
    REQUIRE(session_cache);
    agent.writer = session_cache->get();
    agent.desire({agent.publish("web", {config_map("a")}), agent.publish("infra", {config_map("i")})});
    r.wake();
    REQUIRE(wait_for_pokes(2));
    CHECK(applier.live.count("infra"));

    r.stop();
    t.join();
}

TEST_CASE("an applied bundle that is not ready yet is NotReady, and turns Ready when readiness says so") {
    Agent agent;
    FakeApplier applier;
    applier.not_ready["web"] = "Deployment web/nginx: 0/3 available";
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")})});
    r.reconcile(false);
    CHECK(agent.trail() == Trail{"web:Applying", "web:NotReady"});
    CHECK(agent.last("web")->message == "Deployment web/nginx: 0/3 available");
    CHECK(agent.cache->applied().find("web")->state == v1::NOT_READY);

    // Still not ready, for a new reason: the message follows, nothing is re-applied.
    applier.not_ready["web"] = "Deployment web/nginx: 1/3 available; pod nginx-7d9: ImagePullBackOff";
    r.reconcile(false);
    CHECK(agent.last("web")->message == "Deployment web/nginx: 1/3 available; pod nginx-7d9: ImagePullBackOff");

    applier.not_ready.erase("web");
    r.reconcile(false);
    CHECK(agent.trail() == Trail{"web:Applying", "web:NotReady", "web:NotReady", "web:Ready"});
    CHECK(agent.last("web")->message.empty());
    CHECK(agent.cache->applied().find("web")->state == v1::READY);
    CHECK(std::count(applier.calls.begin(), applier.calls.end(), "apply web") == 1);
    // Ready bundles are not asked on every wake, only on periodic passes.
    auto asked = std::count(applier.calls.begin(), applier.calls.end(), "readiness web");
    r.reconcile(false);
    CHECK(std::count(applier.calls.begin(), applier.calls.end(), "readiness web") == asked);
}

TEST_CASE("a dependent bundle waits while its dependency is NotReady, and follows once it is Ready") {
    Agent agent;
    FakeApplier applier;
    applier.not_ready["infra"] = "Job infra/migrate: running: 1 active, 0/1 succeeded";
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("infra", {config_map("i")}), agent.publish("web", {config_map("w")}, {.depends_on = {"infra"}})});
    r.reconcile(false);
    CHECK(agent.last("web")->state == v1::WAITING_FOR_DEPENDENCY);
    CHECK(agent.last("web")->message == "waiting for infra (NotReady)");
    applier.not_ready.clear();
    r.reconcile(false);
    CHECK(agent.last("infra")->state == v1::READY);
    CHECK(agent.last("web")->state == v1::READY);
}

TEST_CASE("periodic passes check Ready bundles' readiness too, and an unknown answer changes nothing") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")})});
    r.reconcile(true);
    CHECK(agent.last("web")->state == v1::READY);
    applier.not_ready["web"] = "Pod web/p: CrashLoopBackOff";
    r.reconcile(false);
    CHECK(agent.last("web")->state == v1::READY);  // not asked outside periodic passes
    r.reconcile(true);
    CHECK(agent.last("web")->state == v1::NOT_READY);
    CHECK(agent.last("web")->message == "Pod web/p: CrashLoopBackOff");

    applier.fail_readiness["web"] = "Unauthorized (HTTP 401 Unauthorized)";
    auto count = agent.statuses().size();
    r.reconcile(true);
    r.reconcile(false);
    CHECK(agent.statuses().size() == count);
    CHECK(agent.cache->applied().find("web")->state == v1::NOT_READY);
}

TEST_CASE("drift fixed by hand goes back to Ready or NotReady as readiness says") {
    Agent agent;
    FakeApplier applier;
    auto r = agent.reconciler(applier);
    agent.desire({agent.publish("web", {config_map("a")}, {.self_heal = false})});
    r.reconcile(true);
    auto key = *apply::object_key(config_map("a"));
    auto original = applier.live["web"][key];
    applier.live["web"][key] = config_map("a", "changed");
    r.reconcile(true);
    CHECK(agent.last("web")->state == v1::MODIFIED);
    applier.live["web"][key] = original;
    applier.not_ready["web"] = "ConfigMap default/a: being deleted";
    r.reconcile(true);
    CHECK(agent.trail() == Trail{"web:Applying", "web:Ready", "web:Modified", "web:NotReady"});
}

namespace {

// Not ready until the test says so, from another thread.
class TurnsReady final : public apply::Applier {
public:
    std::atomic<bool> ready{false};

    apply::ApplyResult apply(std::string_view bundle, const std::vector<json>& objects,
                             const apply::Inventory& previous) override {
        auto result = inner_.apply(bundle, objects, previous);
        if (!ready) result.not_ready = "Deployment web/nginx: 0/1 available";
        return result;
    }
    Result<void> prune(std::string_view bundle, const apply::Inventory& inventory) override {
        return inner_.prune(bundle, inventory);
    }
    Result<std::vector<apply::Difference>> drift(std::string_view bundle, const apply::Inventory& inventory,
                                                 const std::vector<json>& objects) override {
        return inner_.drift(bundle, inventory, objects);
    }
    Result<std::optional<std::string>> readiness(std::string_view, const apply::Inventory&) override {
        if (ready) return std::optional<std::string>{};
        return std::optional<std::string>("Deployment web/nginx: 0/1 available");
    }

private:
    FakeApplier inner_;
};

}  // namespace

TEST_CASE("the reconciler thread checks NotReady bundles on the readiness interval, without a wake") {
    Agent agent;
    TurnsReady applier;
    agent.desire({agent.publish("web", {config_map("a")})});
    std::mutex m;
    std::condition_variable cv;
    int pokes = 0;
    reconcile::Reconciler r(*agent.cache, applier, [&] {
        std::lock_guard lock(m);
        ++pokes;
        cv.notify_all();
    });
    auto wait_for_pokes = [&](int n) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, std::chrono::seconds(10), [&] { return pokes >= n; });
    };
    // Drift passes are an hour apart: only the readiness interval can make
    // the second pass happen.
    std::thread t([&] { r.run(std::chrono::hours(1), std::chrono::milliseconds(20)); });
    REQUIRE(wait_for_pokes(1));
    applier.ready = true;
    REQUIRE(wait_for_pokes(2));
    r.stop();
    t.join();
    CHECK(agent.trail() == Trail{"web:Applying", "web:NotReady", "web:Ready"});
}
