#pragma once
// A Kubernetes API for the kube applier's integration tests: a
// kube-testserver started for one test (TLS with its own CA, a token or a
// client certificate in the kubeconfig it writes), or, when
// DROVER_TEST_KUBECONFIG is set, that real cluster. Tests that need the
// test server's controls (faults, setting status, CRD establishment) ask
// test_server() and skip on a real cluster. The server binary is
// $DROVER_KUBE_TESTSERVER or BUILD/tools/kube-testserver/kube-testserver;
// without one the tests say so and pass without running.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/apply/kube/kube_api.h"
#include "agent/apply/kube/rest_client.h"
#include "agent/tests/eventually.h"
#include "agent/tests/test_paths.h"
#include "common/crypto.h"
#include "common/fs.h"
#include "common/testing/temp_dir.h"
#include "common/text.h"

namespace drover::testing {

class TestCluster {
public:
    // nullptr when no cluster can be had: a failure, unless
    // DROVER_SKIP_KUBE_TESTSERVER=1 says the binary is knowingly absent (a
    // test that silently passes without its server would prove nothing).
    static std::unique_ptr<TestCluster> start(const std::vector<std::string>& server_args = {}) {
        auto c = std::unique_ptr<TestCluster>(new TestCluster());
        if (const char* real = std::getenv("DROVER_TEST_KUBECONFIG"); real && *real) {
            c->kubeconfig_ = real;
        } else {
            const char* env = std::getenv("DROVER_KUBE_TESTSERVER");
            std::string bin = env && *env ? env : build_root() + "/tools/kube-testserver/kube-testserver";
            if (::access(bin.c_str(), X_OK) != 0) {
                const char* skip = std::getenv("DROVER_SKIP_KUBE_TESTSERVER");
                if (skip && std::string(skip) == "1") MESSAGE("skipped: no kube-testserver at ", bin);
                else FAIL_CHECK("no kube-testserver at ", bin, " (build tools/kube-testserver/kube-testserver, "
                                "or set DROVER_SKIP_KUBE_TESTSERVER=1)");
                return nullptr;
            }
            if (!c->spawn(bin, server_args)) return nullptr;
        }
        auto config = kube::load_kubeconfig(c->kubeconfig_);
        REQUIRE_MESSAGE(config, (config ? std::string() : config.error().message));
        c->config_ = *config;
        auto client = kube::RestClient::create(*config);
        REQUIRE_MESSAGE(client, (client ? std::string() : client.error().message));
        c->client_ = std::move(*client);
        return c;
    }

    ~TestCluster() {
        if (client_ && pid_ <= 0)
            for (auto& ns : namespaces_) (void)client_->send({"DELETE", "/api/v1/namespaces/" + ns, "", ""});
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            if (!eventually([this] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, std::chrono::seconds(5))) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
            }
        }
    }

    bool test_server() const { return pid_ > 0; }
    const std::string& kubeconfig() const { return kubeconfig_; }
    const kube::KubeConfig& config() const { return config_; }
    kube::RestClient& client() { return *client_; }
    int port() const { return port_; }
    std::string log() const { return read_file(dir_ / "server.err").value_or(""); }

    // A namespace name no other test (or earlier run) uses; deleted at the end.
    std::string fresh_namespace(const std::string& prefix) {
        std::string ns = cat(prefix, "-", hex_encode(random_bytes(4)));
        namespaces_.push_back(ns);
        return ns;
    }

    // GET, for checks; null when absent.
    nlohmann::json get(const std::string& path) {
        auto r = client_->send({"GET", path, "", ""});
        REQUIRE(r);
        if (r->status == 404) return nullptr;
        REQUIRE_MESSAGE(r->status == 200, r->body);
        return nlohmann::json::parse(r->body);
    }

    // Test server only: POST /testserver/CONTROL?QUERY.
    void control(const std::string& what) {
        REQUIRE(test_server());
        auto r = client_->send({"POST", "/testserver/" + what, "", ""});
        REQUIRE(r);
        REQUIRE_MESSAGE(r->status == 200, r->body);
    }
    // Sets .status through the object's /status subresource, as a
    // controller would.
    void set_status(const std::string& object_path, const nlohmann::json& status) {
        nlohmann::json patch = {{"status", status}};
        auto r = client_->send({"PATCH", object_path + "/status", "application/merge-patch+json", patch.dump()});
        REQUIRE(r);
        REQUIRE_MESSAGE(r->status == 200, r->body);
    }
    // Another field manager changes an object, as kubectl apply would.
    void apply_as(const std::string& manager, const std::string& object_path, const nlohmann::json& object) {
        auto r = client_->send({"PATCH", object_path + "?fieldManager=" + manager + "&force=true",
                                "application/apply-patch+yaml", object.dump()});
        REQUIRE(r);
        REQUIRE_MESSAGE((r->status == 200 || r->status == 201), r->body);
    }

private:
    TestCluster() = default;

    bool spawn(const std::string& bin, const std::vector<std::string>& extra) {
        kubeconfig_ = dir_ / "kubeconfig.yaml";
        std::vector<std::string> args = {bin, "--listen", "127.0.0.1:0", "--write-kubeconfig", kubeconfig_};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::string out = dir_ / "server.out", err = dir_ / "server.err";
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE_MESSAGE(rc == 0, "cannot start ", bin);
        const std::string marker = "listening on https://127.0.0.1:";
        bool up = eventually([&] {
            auto text = read_file(out);
            if (!text || text->find(marker) == std::string::npos || ::access(kubeconfig_.c_str(), R_OK) != 0)
                return false;
            port_ = std::atoi(text->c_str() + text->find(marker) + marker.size());
            return true;
        });
        REQUIRE_MESSAGE(up, "kube-testserver did not start: ", read_file(err).value_or(""));
        return true;
    }

    TempDir dir_;
    std::string kubeconfig_;
    kube::KubeConfig config_;
    std::unique_ptr<kube::RestClient> client_;
    pid_t pid_ = -1;
    int port_ = 0;
    std::vector<std::string> namespaces_;
};

}  // namespace drover::testing
