// drover-hub: `init` makes a data directory, `serve` runs the hub.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/fd_limit.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/text.h"
#include "drover_config.h"
#include "hub/data_dir.h"
#include "hub/server/git_watcher.h"
#include "hub/server/lws_server.h"
#include "hub/store/sqlite_store.h"

using namespace drover;
using namespace drover::hub;

namespace {

constexpr const char* kUsage = R"(usage:
  drover-hub init --data DIR [--hostname NAME]...
      Create a hub data directory: bare Git repository, SQLite store, TLS CA and
      server certificate (SANs from --hostname; default localhost, 127.0.0.1, ::1),
      spec-signing key and admin token.
  drover-hub serve --data DIR [--listen ADDR:PORT] [--branch main] [--insecure]
                   [--idle-timeout 180s]
      Serve agents on wss://ADDR:PORT/v1/agent and the API on https://ADDR:PORT/api/v1
      (default 127.0.0.1:8443). Deploys every new commit on the branch of DIR/fleet.git.
      --insecure serves plain ws:// and http:// (loopback experiments only).
      --idle-timeout drops an agent session that sent nothing for that long (a
      dead link) and shows the agent offline; agents are asked to ping every third.
  drover-hub --help | --version
)";

int usage_error(const std::string& message) {
    std::fprintf(stderr, "drover-hub: %s\n(see drover-hub --help)\n", message.c_str());
    return 2;
}

struct Args {
    std::string command;
    std::string data;
    std::vector<std::string> hostnames;
    std::string listen = "127.0.0.1:8443";
    std::string branch = "main";
    bool insecure = false;
    std::string log_level = "info";
    std::chrono::milliseconds idle_timeout{180'000};
};

Result<Args> parse_args(int argc, char** argv) {
    Args a;
    if (argc < 2) return fail("missing command (init or serve)");
    a.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> Result<std::string> {
            if (i + 1 >= argc) return fail(cat(arg, " needs a value"));
            return std::string(argv[++i]);
        };
        Result<std::string> v;
        if (arg == "--data" && (v = value())) a.data = *v;
        else if (arg == "--hostname" && (v = value())) a.hostnames.push_back(*v);
        else if (arg == "--listen" && (v = value())) a.listen = *v;
        else if (arg == "--branch" && (v = value())) a.branch = *v;
        else if (arg == "--log-level" && (v = value())) a.log_level = *v;
        else if (arg == "--idle-timeout" && (v = value())) {
            auto ms = parse_duration_ms(*v);
            if (!ms || *ms < 300)
                return fail(cat("--idle-timeout ", quoted(*v), " is not a duration of at least 300ms (like 180s)"));
            a.idle_timeout = std::chrono::milliseconds(*ms);
        } else if (arg == "--insecure") a.insecure = true;
        else if (!v) return std::unexpected(v.error());
        else return fail(cat("unknown option ", quoted(arg)));
    }
    if (a.data.empty()) return fail("--data DIR is required");
    return a;
}

int run_init(const Args& args) {
    std::vector<std::string> hosts = args.hostnames;
    if (hosts.empty()) hosts = {"localhost", "127.0.0.1", "::1"};
    DataDir dir{args.data};
    auto report = init_data_dir(dir, hosts);
    if (!report) {
        std::fprintf(stderr, "drover-hub: %s\n", report.error().message.c_str());
        return 1;
    }
    std::cout << "Initialised hub data directory " << dir.root << ":\n"
              << "  " << dir.repo() << "      bare Git repository (deploy branch main)\n"
              << "  " << dir.store() << "          SQLite store\n"
              << "  " << dir.ca_cert() << "      CA certificate (give it to agents: --ca)\n"
              << "  " << dir.server_cert() << "  server certificate for ";
    for (size_t i = 0; i < hosts.size(); ++i) std::cout << (i ? ", " : "") << hosts[i];
    std::cout << "\n"
              << "  " << dir.signing_key() << " spec-signing key (ECDSA P-256)\n"
              << "  " << dir.admin_token() << "    admin token (also below; keep it secret)\n\n"
              << "Admin token: " << report->admin_token << "\n\n"
              << "Next: drover-hub serve --data " << dir.root << "\n";
    return 0;
}

LwsServer* g_server = nullptr;
void on_signal(int) {
    if (g_server) g_server->stop();
}

Result<ListenOptions> parse_listen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) return fail(cat("--listen ", quoted(listen), ": expected ADDR:PORT"));
    ListenOptions o;
    o.host = listen.substr(0, colon);
    if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
    auto port = parse_u64(listen.substr(colon + 1));
    if (!port || *port > 65535) return fail(cat("--listen ", quoted(listen), ": port must be 0-65535"));
    o.port = static_cast<int>(*port);
    return o;
}

void apply_update(Fleet& fleet, GitUpdate update) {
    Store& store = fleet.store();
    int64_t now = fleet.now_ms();
    std::string short_commit = update.commit.substr(0, 12);
    if (!update.result) {
        std::string message;
        for (auto& p : update.result.error()) message += p.to_string() + "\n";
        log::error("commit ", short_commit, " (", update.summary, ") refused; still serving ",
                   fleet.deployment() ? fleet.deployment()->commit.substr(0, 12) : "nothing", ":");
        for (auto& p : update.result.error()) log::error("  ", p.to_string());
        fleet.set_rejection(Rejection{update.commit, message});
        store.add_event("rejected", cat("commit ", short_commit, " refused: ", message), now);
        return;
    }
    auto& deployment = *update.result;
    fleet.deploy(deployment);
    if (!update.startup) {
        fleet.set_rejection(std::nullopt);
        store.set_setting("deployed_commit", update.commit);
        store.add_event("deployed", cat("commit ", short_commit, " (", update.summary, ") deployed: ",
                                        deployment->fleet.bundles.size(), " bundles"),
                        now);
    }
    log::info(update.startup ? "serving " : "deployed ", "commit ", short_commit, " (", update.summary, "): ",
              deployment->fleet.bundles.size(), " bundles");
}

int run_serve(const Args& args) {
    DataDir dir{args.data};
    auto listen = parse_listen(args.listen);
    if (!listen) return usage_error(listen.error().message);
    listen->tls = !args.insecure;
    listen->idle_timeout = args.idle_timeout;
    listen->cert_path = dir.server_cert();
    listen->key_path = dir.server_key();
    if (args.insecure)
        log::warn("--insecure: serving plain ws:// and http:// without TLS; credentials and specs cross the "
                  "network in the clear. Use it on loopback only.");

    auto store = SqliteStore::open(dir.store());
    if (!store) {
        log::error(store.error().message, " (did you run drover-hub init --data ", dir.root, "?)");
        return 1;
    }
    auto key_pem = read_file(dir.signing_key(), 64 * 1024);
    if (!key_pem) {
        log::error(key_pem.error().message);
        return 1;
    }
    auto key = SigningKey::from_pem(*key_pem);
    if (!key) {
        log::error(dir.signing_key(), ": ", key.error().message);
        return 1;
    }
    (*store)->all_agents_offline(unix_now_ms());
    Fleet fleet(**store, key->public_pem(), unix_now_ms);
    auto deployed = (*store)->setting("deployed_commit");
    fleet.set_deployment_pending(deployed.has_value());
    // Every agent holds a socket; lws sizes its tables from this limit.
    uint64_t fds = raise_open_file_limit();
    log::info("open-file limit ", fds, ": room for about ", fds > 64 ? fds - 64 : 0, " agent connections");
    LwsServer server(fleet, *listen);
    if (auto ok = server.start(); !ok) {
        log::error(ok.error().message);
        return 1;
    }
    const char* scheme = args.insecure ? "ws" : "wss";
    log::info("listening on ", scheme, "://", listen->host, ":", server.port(), "/v1/agent and ",
              args.insecure ? "http" : "https", "://", listen->host, ":", server.port(), "/api/v1");

    GitWatcher watcher(dir.repo(), args.branch, *key, [&server](GitUpdate update) {
        server.post([&server, u = std::move(update)]() mutable { apply_update(server.fleet(), std::move(u)); });
    });
    watcher.start(deployed);

    g_server = &server;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    server.run();
    log::info("shutting down");
    watcher.stop();
    g_server = nullptr;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    log::set_component("hub");
    if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help"))) {
        std::cout << kUsage;
        return 0;
    }
    if (argc >= 2 && !std::strcmp(argv[1], "--version")) {
        std::cout << "drover-hub " << DROVER_VERSION << "\n";
        return 0;
    }
    auto args = parse_args(argc, argv);
    if (!args) return usage_error(args.error().message);
    if (args->log_level == "debug") log::set_level(log::Level::debug);
    else if (args->log_level == "warn") log::set_level(log::Level::warn);
    else if (args->log_level == "error") log::set_level(log::Level::error);
    else if (args->log_level != "info") return usage_error("--log-level must be debug, info, warn or error");
    try {
        if (args->command == "init") return run_init(*args);
        if (args->command == "serve") return run_serve(*args);
    } catch (const std::exception& e) {
        log::error("fatal: ", e.what());
        return 1;
    }
    return usage_error(cat("unknown command ", quoted(args->command), " (want init or serve)"));
}
