// Runs the real drover-agent binary (DROVER_AGENT_BINARY) against the fake
// hub server: config file, registration, specs applied to a directory,
// statuses acknowledged, clean stop on SIGTERM, and re-apply from the cache
// with no hub reachable.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/tests/apply/kube/test_cluster.h"
#include "agent/tests/session/fake_hub_server.h"
#include "agent/tests/session/scripted_hub.h"
#include "agent/tests/eventually.h"
#include "common/testing/temp_dir.h"
#include "common/fs.h"
#include "common/text.h"

using namespace drover;
using drover::testing::FakeHubServer;
using drover::testing::HubReply;
using drover::testing::Published;
using drover::testing::ScriptedHub;
using drover::testing::TempDir;
using drover::testing::eventually;

namespace {

// A child process running drover-agent with stderr going to a log file.
class AgentProcess {
public:
    AgentProcess(const std::vector<std::string>& args, const std::string& log_path) : log_(log_path) {
        // posix_spawn, not fork: this test process runs threads (the fake
        // hub), and a forked child may only call async-signal-safe code.
        std::string bin = DROVER_AGENT_BINARY;
        std::vector<std::string> copy = args;
        std::vector<char*> argv{bin.data()};
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE_MESSAGE(rc == 0, "cannot start ", bin);
    }
    ~AgentProcess() {
        if (pid_ > 0 && !exited_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    // Exit status, or -1 if it has not exited by the deadline.
    int wait_exit(std::chrono::seconds timeout = std::chrono::seconds(20)) {
        int status = 0;
        bool done = eventually(
            [&] {
                if (exited_) return true;
                if (waitpid(pid_, &status, WNOHANG) == pid_) {
                    exited_ = true;
                    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                }
                return exited_;
            },
            timeout);
        return done ? code_ : -1;
    }
    void terminate() { kill(pid_, SIGTERM); }
    std::string log() const { return read_file(log_).value_or("(no log)"); }

private:
    std::string log_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int code_ = -1;
};

std::string spec(const std::string& bundle, const std::string& name, std::vector<std::string> depends_on = {}) {
    nlohmann::json s = {{"bundle", bundle},
                        {"namespace", "default"},
                        {"objects",
                         {{{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", name}, {"namespace", "default"}}},
                           {"data", {{"hello", "world"}}}}}},
                        {"policy", {{"dependsOn", depends_on}, {"keepResources", false}, {"selfHeal", true}}}};
    return s.dump();
}

struct Hub {
    ScriptedHub hub;
    std::vector<Published> bundles;
    std::mutex mutex;
    std::vector<std::pair<std::string, v1::State>> statuses;

    HubReply operator()(const v1::Envelope& in) {
        HubReply reply;
        if (in.has_hello()) {
            bool registering = in.hello().agent_id().empty();
            if (registering && in.hello().registration_token() != "drv_reg_ok") {
                v1::Envelope close;
                close.mutable_close()->set_reason("registration token is invalid, expired or used up");
                return {{wire::encode(close)}, true};
            }
            reply.frames.push_back(wire::encode(hub.welcome("agt_7", registering ? "cred_7" : "", 0)));
            reply.frames.push_back(wire::encode(hub.desired(bundles)));
        } else if (in.has_fetch()) {
            for (auto& p : bundles)
                if (p.digest == in.fetch().digest())
                    for (auto& c : ScriptedHub::chunks(p, in.fetch().offset())) reply.frames.push_back(wire::encode(c));
        } else if (in.has_status()) {
            std::lock_guard lock(mutex);
            statuses.emplace_back(in.status().bundle(), in.status().state());
            reply.frames.push_back(wire::encode(ScriptedHub::ack(in.status().seq())));
        }
        return reply;
    }

    bool reported(const std::string& bundle, v1::State state) {
        std::lock_guard lock(mutex);
        for (auto& [b, s] : statuses)
            if (b == bundle && s == state) return true;
        return false;
    }
};

}  // namespace

TEST_CASE("drover-agent registers, applies its bundles to a directory, reports Ready and stops on SIGTERM") {
    TempDir dir;
    Hub hub;
    hub.bundles = {hub.hub.publish("web", "c0ffee", spec("web", "site", {"infra"})),
                   hub.hub.publish("infra", "c0ffee", spec("infra", "base"))};
    FakeHubServer server([&hub](const v1::Envelope& e) { return hub(e); });

    std::string conf = dir / "agent.conf";
    REQUIRE(write_file_atomic(conf, cat("hub = ws://127.0.0.1:", server.port(), "\n", "insecure = true\n",
                                        "token = drv_reg_ok\n", "data-dir = ", dir / "data", "\n",
                                        "apply = dir:", dir / "out", "\n", "labels = role=gateway\n")));
    std::string web_file = dir / "out/web/configmap.default.site.json";
    std::string infra_file = dir / "out/infra/configmap.default.base.json";
    {
        AgentProcess agent({"--config", conf, "--name", "edge-7"}, dir / "agent.log");
        bool ready = eventually([&] { return hub.reported("web", v1::READY) && hub.reported("infra", v1::READY); });
        INFO(agent.log());
        REQUIRE(ready);
        CHECK(read_file(web_file));
        CHECK(read_file(infra_file));
        auto hellos = server.received();
        REQUIRE_FALSE(hellos.empty());
        CHECK(hellos[0].hello().name() == "edge-7");
        CHECK(hellos[0].hello().labels().at("role") == "gateway");
        CHECK_FALSE(hellos[0].hello().facts().at("arch").empty());
        agent.terminate();
        CHECK(agent.wait_exit() == 0);
    }

    SUBCASE("restarted with no hub reachable, it re-applies from its cache") {
        REQUIRE(::unlink(web_file.c_str()) == 0);
        // No token: the agent is registered now. Port 9 (discard) is closed.
        AgentProcess agent({"--hub", "ws://127.0.0.1:9", "--insecure", "--data-dir", dir / "data", "--apply",
                            "dir:" + dir / "out", "--log-level", "debug"},
                           dir / "agent2.log");
        bool restored = eventually([&] { return read_file(web_file).has_value(); });
        INFO(agent.log());
        CHECK(restored);
        agent.terminate();
        CHECK(agent.wait_exit() == 0);
    }
}

TEST_CASE("drover-agent exits 2 with one line on stderr for bad input") {
    TempDir dir;
    {
        AgentProcess agent({"--hub", "wss://h:1", "--data-dir", dir / "d", "--apply", "kube:x", "--ca", "x"},
                           dir / "log");
        CHECK(agent.wait_exit() == 2);
        CHECK(agent.log() == "drover-agent: --apply: unknown apply target \"kube:x\" (want kube, "
                             "k3s-manifests[:DIR] or dir:PATH)\n");
    }
    {
        AgentProcess agent({"--hub", "wss://h:1", "--data-dir", dir / "d", "--apply", "dir:o", "--ca",
                            dir / "missing.pem"},
                           dir / "log2");
        CHECK(agent.wait_exit() == 2);
        CHECK(agent.log().find("--ca: cannot open") != std::string::npos);
    }
    {
        // Not registered and no token.
        AgentProcess agent({"--hub", "ws://127.0.0.1:9", "--insecure", "--data-dir", dir / "d2", "--apply",
                            "dir:" + dir / "o"},
                           dir / "log3");
        CHECK(agent.wait_exit() == 2);
        CHECK(agent.log().find("--token is required until the agent has registered") != std::string::npos);
    }
}

TEST_CASE("drover-agent --apply kube applies its bundles through the Kubernetes API and reports them Ready") {
    auto cluster = drover::testing::TestCluster::start();
    if (!cluster) return;
    TempDir dir;
    std::string name = cat("site-", hex_encode(random_bytes(4)));
    Hub hub;
    hub.bundles = {hub.hub.publish("web", "c0ffee", spec("web", name))};
    FakeHubServer server([&hub](const v1::Envelope& e) { return hub(e); });
    AgentProcess agent({"--hub", cat("ws://127.0.0.1:", server.port()), "--insecure", "--token", "drv_reg_ok",
                        "--data-dir", dir / "data", "--apply", "kube", "--kubeconfig", cluster->kubeconfig(),
                        "--name", "edge-k3s"},
                       dir / "agent.log");
    bool ready = eventually([&] { return hub.reported("web", v1::READY); });
    INFO(agent.log());
    REQUIRE(ready);
    auto live = cluster->get("/api/v1/namespaces/default/configmaps/" + name);
    REQUIRE(live.is_object());
    CHECK(live["data"]["hello"] == "world");
    CHECK(live["metadata"]["labels"]["drover.dev/bundle"] == "web");
    CHECK(agent.log().find("applying to the Kubernetes API at https://") != std::string::npos);
    agent.terminate();
    CHECK(agent.wait_exit() == 0);
    if (!cluster->test_server()) (void)cluster->client().send({"DELETE", "/api/v1/namespaces/default/configmaps/" + name, "", ""});
}

TEST_CASE("drover-agent --apply kube exits 1 naming the kubeconfig problem") {
    TempDir dir;
    REQUIRE(write_file_atomic(dir / "kubeconfig", "current-context: nowhere\ncontexts: []\n"));
    AgentProcess agent({"--hub", "ws://127.0.0.1:9", "--insecure", "--token", "t", "--data-dir", dir / "d",
                        "--apply", "kube", "--kubeconfig", dir / "kubeconfig"},
                       dir / "log");
    CHECK(agent.wait_exit() == 1);
    CHECK(agent.log().find("--apply kube: " + dir / "kubeconfig" + ": no entry named \"nowhere\" in contexts") !=
          std::string::npos);
}
