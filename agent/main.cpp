// drover-agent: wires the parts together. The calling thread runs the hub
// link (libwebsockets loop); the reconciler has its own thread; a third
// thread waits for SIGINT/SIGTERM (blocked everywhere else) and stops both.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "agent/apply/dir_applier.h"
#include "agent/apply/k3s_manifests_applier.h"
#include "agent/apply/kube/kube_applier.h"
#include "agent/apply/kube/rest_client.h"
#include "agent/cache/cache.h"
#include "agent/data_dir_lock.h"
#include "agent/options.h"
#include "agent/reconcile/reconciler.h"
#include "agent/session/facts.h"
#include "agent/session/hub_link.h"
#include "agent/session/session.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/text.h"
#include "drover_config.h"

using namespace drover;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int usage_error(const std::string& message) {
    std::fprintf(stderr, "drover-agent: %s\n", message.c_str());
    return kExitUsage;
}

int failure(const std::string& message) {
    log::error(message);
    return kExitFailure;
}

// The --apply target, and what it needs kept alive.
struct Target {
    std::unique_ptr<kube::RestClient> client;
    std::unique_ptr<apply::Applier> applier;
    std::string description;  // for the startup log line
};

Result<Target> make_target(const agent::AgentOptions& opt) {
    Target t;
    switch (opt.apply.kind) {
        case ApplyTarget::Kind::dir:
            if (auto made = make_dirs(opt.apply.dir, 0755); !made) return fail(made.error().message);
            t.applier = std::make_unique<apply::DirApplier>(opt.apply.dir);
            t.description = cat("dir:", opt.apply.dir);
            return t;
        case ApplyTarget::Kind::k3s_manifests:
            // K3s makes this directory on server nodes; its absence means
            // nothing would ever read what drover writes there.
            if (::access(opt.apply.dir.c_str(), W_OK) != 0)
                return fail(cat("--apply k3s-manifests: ", opt.apply.dir, " is missing or not writable: ",
                                std::strerror(errno), " (it exists on K3s server nodes; elsewhere use --apply kube)"));
            t.applier = std::make_unique<apply::K3sManifestsApplier>(opt.apply.dir);
            t.description = cat("k3s-manifests:", opt.apply.dir, " (readiness is not observed in this mode)");
            return t;
        case ApplyTarget::Kind::kube: {
            auto config = kube::locate_kubeconfig(kube::ConfigSources::from_process(opt.kubeconfig));
            if (!config) return fail(cat("--apply kube: ", config.error().message));
            std::string description = cat("the Kubernetes API at ", config->server, " (", config->origin, ")");
            auto client = kube::RestClient::create(std::move(*config));
            if (!client) return fail(cat("--apply kube: ", client.error().message));
            t.client = std::move(*client);
            t.applier = std::make_unique<kube::KubeApplier>(*t.client);
            t.description = std::move(description);
            return t;
        }
    }
    return fail("unknown --apply target");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    auto cmd = agent::parse_command_line(args);
    if (!cmd) return usage_error(cmd.error().message);
    if (cmd->command == agent::Command::help) {
        std::fputs(agent::usage().c_str(), stdout);
        return 0;
    }
    if (cmd->command == agent::Command::version) {
        std::printf("drover-agent %s\n", DROVER_VERSION);
        return 0;
    }
    const agent::AgentOptions& opt = cmd->options;
    log::set_component("agent");
    log::set_level(opt.log_level);
    for (auto& w : cmd->warnings) log::warn(w);
    if (!opt.hub.tls) log::warn("connecting to ", opt.hub.to_string(), " without TLS (--insecure): the link is not encrypted");

    std::string ca_pem;
    if (opt.hub.tls) {
        auto ca = read_file(opt.ca, 1 << 20);
        if (!ca) return usage_error(cat("--ca: ", ca.error().message));
        if (ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            return usage_error(cat("--ca: ", opt.ca, " holds no PEM certificate"));
        ca_pem = std::move(*ca);
    }

    std::string signing_key;
    if (!opt.signing_key.empty()) {
        auto pem = read_file(opt.signing_key, 64 * 1024);
        if (!pem) return usage_error(cat("--signing-key: ", pem.error().message));
        signing_key = std::move(*pem);
    }

    if (auto made = make_dirs(opt.data_dir, 0700); !made) return failure(made.error().message);
    auto lock = agent::DataDirLock::acquire(opt.data_dir);
    if (!lock) return failure(lock.error().message);
    std::string cache_path = cat(opt.data_dir, "/cache.db");
    auto link_cache = cache::Cache::open(cache_path);
    if (!link_cache) return failure(link_cache.error().message);
    auto reconcile_cache = cache::Cache::open(cache_path);
    if (!reconcile_cache) return failure(reconcile_cache.error().message);

    if (!signing_key.empty()) {
        if (auto pinned = session::pin_signing_key(**link_cache, signing_key); !pinned)
            return usage_error(cat("--signing-key: ", opt.signing_key, ": ", pinned.error().message));
    }
    auto identity = (*link_cache)->identity().load();
    if (!identity.registered() && opt.token.empty())
        return usage_error("--token is required until the agent has registered with the hub");
    if (identity.registered())
        log::info("registered as ", identity.name, " (", identity.agent_id, ")");

    auto target = make_target(opt);
    if (!target) return failure(target.error().message);
    apply::Applier& applier = *target->applier;

    // Signals are taken by the waiter thread only; block them before any
    // other thread exists so every thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    session::HubLink* link_ptr = nullptr;
    reconcile::Reconciler reconciler(**reconcile_cache, applier, [&link_ptr] {
        if (link_ptr) link_ptr->poke();
    });

    session::SessionConfig session_config;
    session_config.name = opt.name;
    session_config.registration_token = opt.token;
    session_config.labels = opt.labels;
    session_config.facts = session::collect_facts();
    session_config.hub_url = opt.hub.to_string();
    session_config.ca_pem = ca_pem;
    auto loop = session::LinkLoop::create({.tls = opt.hub.tls, .ca_file = opt.ca, .max_links = 1});
    if (!loop) return failure(loop.error().message);
    session::LinkOptions link_options;
    link_options.url = opt.hub;
    link_options.backoff_base = opt.backoff_base;
    link_options.backoff_cap = opt.backoff_cap;
    link_options.heartbeat = opt.heartbeat;
    link_options.idle_timeout = opt.idle_timeout;
    auto link = session::HubLink::create(**loop, **link_cache, session_config, link_options,
                                         [&reconciler] { reconciler.wake(); });
    if (!link) return failure(link.error().message);
    link_ptr = link->get();

    log::info("drover-agent ", DROVER_VERSION, " starting as ", opt.name, ", hub ", opt.hub.to_string(),
              ", applying to ", target->description);
    std::thread reconcile_thread(
        [&reconciler, &opt] { reconciler.run(opt.drift_interval, opt.readiness_interval); });
    std::thread signal_thread([&signals, &loop, &reconciler] {
        int sig = 0;
        sigwait(&signals, &sig);
        log::info("stopping (", sig == SIGINT ? "SIGINT" : "SIGTERM", ")");
        (*loop)->stop();
        reconciler.stop();
    });

    (*loop)->run();

    // run() also returns if the lws loop fails; make sure everyone stops.
    reconciler.stop();
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
    reconcile_thread.join();
    link_ptr = nullptr;
    log::info("stopped");
    return 0;
}
