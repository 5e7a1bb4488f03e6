// drover-hub: `init` makes a data directory, `serve` runs the hub.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
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
#include "hub/git/quarantine.h"
#include "hub/git/upstream.h"
#include "hub/server/git_endpoint.h"
#include "hub/server/git_watcher.h"
#include "hub/server/hub_limits.h"
#include "hub/server/lws_server.h"
#include "hub/server/metrics.h"
#include "hub/server/push_handler.h"
#include "hub/server/upstream_mirror.h"
#include "hub/server/webhook_signature.h"
#include "hub/server/worker_pool.h"
#include "hub/signing_keys.h"
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
                   [--idle-timeout 180s] [--credential-max-age 30d] [--client-certs]
                   [--limit NAME=VALUE]...
                   [--git-anonymous-read] [--git-allow-force-push]
                   [--git-upstream URL [--git-branch B] [--git-interval 60s]
                    [--git-webhook-secret-file FILE] [--git-ssh-key FILE]
                    [--git-user USER --git-password-file FILE]]
      Serve agents on wss://ADDR:PORT/v1/agent, the API on https://ADDR:PORT/api/v1 and
      the fleet repository on https://ADDR:PORT/git/fleet.git (default 127.0.0.1:8443).
      Deploys every new commit on the branch (--branch, default main); a push whose
      bundles do not render is refused. Prometheus metrics at /metrics (admin or
      viewer token); /healthz answers while the process lives, /readyz once the
      deployed revision is loaded.
      --insecure serves plain ws:// and http:// (loopback experiments only).
      --idle-timeout drops an agent session that sent nothing for that long (a
      dead link) and shows the agent offline; agents are asked to ping every third.
      --credential-max-age rotates each agent's credential once it is that old,
      without interrupting the agent (0s: only when `droverctl rotate-credential`
      asks for it).
      --client-certs issues each agent a TLS client certificate for a key it makes
      itself (CN = its agent id, signed by the hub's CA) and, once the agent has
      stored it, refuses that agent on connections that do not present it: a
      copied credential alone no longer logs in. Browsers and droverctl need none.
      --limit changes one of the limits `drover-hub limits` lists (repeatable), e.g.
      --limit spec-bytes=32MiB --limit registrations-per-minute=600.
      --git-anonymous-read lets anyone clone and fetch (pushes always need a token).
      --git-allow-force-push accepts non-fast-forward pushes.
      --git-upstream makes the hub a mirror: it follows branch B (default: --branch)
      of URL (https, ssh, file), fetching every --git-interval and when
      POST /api/v1/hooks/git arrives signed with the secret in
      --git-webhook-secret-file; pushes to the hub are refused.
  drover-hub limits [--limit NAME=VALUE]...
      List every limit the hub enforces, with its value and meaning.
  drover-hub rotate-signing-key --data DIR
      Replace the spec-signing key with a new ECDSA P-256 key, endorsed by the old
      one in keys/signing-chain.json: agents pinned to any earlier key (by
      --signing-key, provisioning or first contact) verify the endorsements and
      re-pin on their next connection, and receive their specs signed anew. The
      old private key is not kept. A running hub keeps the old key until it is
      restarted; restart it to use the new one.
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
    bool client_certs = false;
    std::string log_level = "info";
    std::chrono::milliseconds idle_timeout{180'000};
    int64_t credential_max_age_ms = 30LL * 86'400'000;
    bool git_anonymous_read = false;
    bool git_allow_force_push = false;
    std::string git_upstream, git_branch, git_webhook_secret_file, git_ssh_key, git_user, git_password_file;
    std::chrono::milliseconds git_interval{60'000};
    HubLimits limits;
};

Result<Args> parse_args(int argc, char** argv) {
    Args a;
    if (argc < 2) return fail("missing command (init, serve, limits or rotate-signing-key)");
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
        } else if (arg == "--credential-max-age" && (v = value())) {
            auto ms = parse_duration_ms(*v);
            if (!ms || (*ms != 0 && *ms < 1000))
                return fail(cat("--credential-max-age ", quoted(*v),
                                " is not a duration of at least 1s, or 0s (like 30d)"));
            a.credential_max_age_ms = *ms;
        } else if (arg == "--git-interval" && (v = value())) {
            auto ms = parse_duration_ms(*v);
            if (!ms || *ms < 1000)
                return fail(cat("--git-interval ", quoted(*v), " is not a duration of at least 1s (like 60s)"));
            a.git_interval = std::chrono::milliseconds(*ms);
        } else if (arg == "--git-upstream" && (v = value())) a.git_upstream = *v;
        else if (arg == "--git-branch" && (v = value())) a.git_branch = *v;
        else if (arg == "--git-webhook-secret-file" && (v = value())) a.git_webhook_secret_file = *v;
        else if (arg == "--git-ssh-key" && (v = value())) a.git_ssh_key = *v;
        else if (arg == "--git-user" && (v = value())) a.git_user = *v;
        else if (arg == "--git-password-file" && (v = value())) a.git_password_file = *v;
        else if (arg == "--limit" && (v = value())) {
            if (auto ok = set_limit(a.limits, *v); !ok) return std::unexpected(ok.error());
        } else if (arg == "--git-anonymous-read") a.git_anonymous_read = true;
        else if (arg == "--git-allow-force-push") a.git_allow_force_push = true;
        else if (arg == "--insecure") a.insecure = true;
        else if (arg == "--client-certs") a.client_certs = true;
        else if (!v) return std::unexpected(v.error());
        else return fail(cat("unknown option ", quoted(arg)));
    }
    if (a.data.empty() && a.command != "limits") return fail("--data DIR is required");
    if (a.client_certs && a.insecure) return fail("--client-certs needs TLS: it cannot go with --insecure");
    if (a.git_upstream.empty() && (!a.git_branch.empty() || !a.git_webhook_secret_file.empty() ||
                                   !a.git_ssh_key.empty() || !a.git_user.empty() || !a.git_password_file.empty()))
        return fail("--git-branch, --git-webhook-secret-file, --git-ssh-key, --git-user and --git-password-file "
                    "need --git-upstream URL");
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

int run_limits(const Args& args) {
    auto limits = describe_limits(args.limits);
    size_t name_width = 0, value_width = 0;
    for (auto& l : limits) {
        name_width = std::max(name_width, l.name.size());
        value_width = std::max(value_width, l.value.size());
    }
    for (auto& l : limits)
        std::cout << l.name << std::string(name_width + 2 - l.name.size(), ' ') << l.value
                  << std::string(value_width + 2 - l.value.size(), ' ') << l.meaning << "\n";
    return 0;
}

int run_rotate_signing_key(const Args& args) {
    DataDir dir{args.data};
    auto report = rotate_signing_key(dir);
    if (!report) {
        std::fprintf(stderr, "drover-hub: %s\n", report.error().message.c_str());
        return 1;
    }
    std::cout << "Rotated the spec-signing key of " << dir.root << ": " << report->old_key << " -> "
              << report->new_key << "\n"
              << "  " << dir.signing_key() << ": the new private key (the old one is not kept)\n"
              << "  " << dir.signing_pub() << ": the new public key\n"
              << "  " << dir.signing_chain() << ": " << report->links
              << " links, the new key endorsed by the old one\n\n"
              << "Restart the running hub (drover-hub serve) to sign with the new key; until then it signs\n"
              << "with the old one. Agents pinned to any earlier key re-pin when they next connect.\n";
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
    fleet.deploy(deployment, update.startup, update.referenced);
    if (!update.startup) {
        fleet.set_rejection(std::nullopt);  // deploy() stored the commit as deployed
        store.add_event("deployed", cat("commit ", short_commit, " (", update.summary, ") deployed: ",
                                        deployment->fleet.bundles.size(), " bundles"),
                        now);
    }
    log::info(update.startup ? "serving " : "deployed ", "commit ", short_commit, " (", update.summary, "): ",
              deployment->fleet.bundles.size(), " bundles");
}

Result<git::Upstream> upstream_from(const Args& args) {
    git::Upstream u;
    u.url = args.git_upstream;
    u.branch = args.git_branch.empty() ? args.branch : args.git_branch;
    u.ssh_key_path = args.git_ssh_key;
    u.https_user = args.git_user;
    if (!args.git_password_file.empty()) {
        auto password = read_file(args.git_password_file, 4096);
        if (!password) return fail(cat("--git-password-file: ", password.error().message));
        u.https_password = std::string(trim(*password));
    }
    if (auto ok = git::check_upstream(u); !ok) return fail(cat("--git-upstream: ", ok.error().message));
    return u;
}

void apply_mirror_report(Fleet& fleet, const MirrorReport& report) {
    int64_t now = fleet.now_ms();
    if (!report.fetch_error.empty()) {
        fleet.store().add_event("mirror", cat("fetching the upstream failed: ", report.fetch_error), now);
        return;
    }
    fleet.set_rejection(Rejection{report.commit, report.problems});
    std::string first = report.problems.substr(0, report.problems.find('\n'));
    fleet.store().add_event("rejected", cat("upstream commit ", report.commit.substr(0, 12), " (", report.summary,
                                            ") refused, not deployed: ", first),
                            now);
}

HttpResponse json_reply(int status, const std::string& key, const std::string& value) {
    nlohmann::json body = {{key, value}};
    return {status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", {}};
}

// POST /api/v1/hooks/git: GitHub, Gitea or GitLab says the upstream changed.
HttpResponse git_webhook(UpstreamMirror* mirror, const std::string& secret, const HttpRequest& req) {
    if (!mirror) return json_reply(404, "error", "this hub does not mirror an upstream (drover-hub serve --git-upstream)");
    if (req.method != "POST") return json_reply(405, "error", "use POST for /api/v1/hooks/git");
    if (secret.empty())
        return json_reply(403, "error", "webhooks are off: start the hub with --git-webhook-secret-file FILE");
    auto ok = verify_webhook({req.hub_signature_256, req.gitea_signature, req.gitlab_token, req.body}, secret);
    if (!ok) return json_reply(401, "error", ok.error().message);
    mirror->wake();
    return json_reply(202, "status", "fetching the upstream now");
}

uint64_t file_bytes(const std::string& path) {
    std::error_code ec;
    auto n = std::filesystem::file_size(path, ec);
    return ec ? 0 : n;
}

size_t open_fds() {
    std::error_code ec;
    size_t n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
}

// Scrape-time gauges of this process. `workers` must outlive scrapes (the
// event loop's run()).
void add_process_metrics(MetricRegistry& registry, const WorkerPool& workers, const std::string& store_path,
                         uint64_t max_fds) {
    registry.add_collector([&workers, store_path, max_fds](Exposition& out) {
        out.family("drover_worker_queue_depth", "Jobs (clones, pushes) waiting for a worker thread.", MetricType::gauge);
        out.sample({}, static_cast<double>(workers.queued()));
        out.family("drover_store_bytes", "Size of the SQLite store on disk, its write-ahead log included.",
                   MetricType::gauge);
        out.sample({}, static_cast<double>(file_bytes(store_path) + file_bytes(store_path + "-wal")));
        out.family("process_open_fds", "Open file descriptors (each agent connection holds one).", MetricType::gauge);
        out.sample({}, static_cast<double>(open_fds()));
        out.family("process_max_fds", "The open-file limit; connections beyond it are not accepted.", MetricType::gauge);
        out.sample({}, static_cast<double>(max_fds));
    });
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

    // The key and its rotation chain (hub/signing_keys.h); finishes a
    // rotation a crash interrupted. First: it checks DIR is a hub data
    // directory, before opening the store would create hub.db in it.
    auto signing = load_signing_keys(dir);
    if (!signing) {
        log::error(signing.error().message);
        return 1;
    }
    if (!signing->repaired.empty()) log::warn(signing->repaired);
    auto store = SqliteStore::open(dir.store());
    if (!store) {
        log::error(store.error().message, " (did you run drover-hub init --data ", dir.root, "?)");
        return 1;
    }
    const SigningKey* key = &signing->key;
    (*store)->all_agents_offline(unix_now_ms());
    Fleet fleet(**store, signing->public_pem, unix_now_ms);
    fleet.set_signing_chain(signing->chain);
    if (signing->chain.size() > 1)
        log::info("spec-signing key ", short_fingerprint(fleet.signing_key_id()), " (rotated ",
                  signing->chain.size() - 1, signing->chain.size() == 2 ? " time" : " times",
                  "; agents pinned to an earlier key follow keys/signing-chain.json)");
    HubLimits limits = args.limits;
    // Agents ping every third of the idle timeout (the sweep drops a link silent for all of it).
    limits.session.heartbeat_ms = static_cast<uint64_t>(args.idle_timeout.count() / 3);
    fleet.set_limits(limits);
    fleet.set_credential_max_age_ms(args.credential_max_age_ms);
    if (!args.insecure) {
        auto ca_pem = read_file(dir.ca_cert(), 64 * 1024);
        if (!ca_pem) {
            log::error(ca_pem.error().message);
            return 1;
        }
        fleet.set_ca_pem(std::move(*ca_pem));
    }
    if (args.client_certs) {
        // The CA that signed the hub's own certificate issues the agents'.
        auto ca_key = read_file(dir.ca_key(), 64 * 1024);
        if (!ca_key) {
            log::error("--client-certs needs the hub's CA key: ", ca_key.error().message);
            return 1;
        }
        // Checked now, not at the first agent's request.
        auto issuer = pki::ClientCertificateIssuer::load({std::move(*ca_key), fleet.ca_pem()});
        if (!issuer) {
            log::error("--client-certs: ", dir.ca_key(), ": ", issuer.error().message);
            return 1;
        }
        fleet.set_client_ca(std::move(*issuer));
        listen->client_ca_path = dir.ca_cert();
        log::info("issuing client certificates to agents and requiring them once stored (--client-certs)");
    }
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
    watcher.set_limits(args.limits.render);

    std::unique_ptr<UpstreamMirror> mirror;
    std::string webhook_secret;
    if (!args.git_upstream.empty()) {
        auto upstream = upstream_from(args);
        if (!upstream) return usage_error(upstream.error().message);
        if (!args.git_webhook_secret_file.empty()) {
            auto secret = read_file(args.git_webhook_secret_file, 4096);
            if (!secret || trim(*secret).empty()) {
                log::error("--git-webhook-secret-file: ", secret ? "the file is empty" : secret.error().message);
                return 1;
            }
            webhook_secret = std::string(trim(*secret));
        }
        mirror = std::make_unique<UpstreamMirror>(
            dir.repo(), *upstream, args.branch, *key, args.git_interval,
            [&watcher](GitUpdate update) { watcher.offer(std::move(update)); }, [&watcher] { watcher.poke(); },
            [&server](MirrorReport report) {
                server.post([&server, report = std::move(report)] { apply_mirror_report(server.fleet(), report); });
            });
        mirror->set_limits(args.limits.render);
        log::info("mirroring ", git::redacted_url(upstream->url), " (branch ", upstream->branch, ") every ",
                  args.git_interval.count() / 1000, " s; pushes to the hub are refused");
    }
    server.set_webhook([&mirror, &webhook_secret](const HttpRequest& req) {
        return git_webhook(mirror.get(), webhook_secret, req);
    });

    git::sweep_quarantines(dir.repo());
    WorkerPool workers(2);
    add_process_metrics(fleet.metrics().registry, workers, dir.store(), fds);
    GitEndpointOptions git_options;
    git_options.repo_path = dir.repo();
    git_options.branch = args.branch;
    git_options.anonymous_read = args.git_anonymous_read;
    git_options.agent = cat("drover/", DROVER_VERSION);
    if (!args.git_upstream.empty()) git_options.mirror_of = git::redacted_url(args.git_upstream);
    PushSettings push_settings;
    push_settings.repo_path = dir.repo();
    push_settings.branch = args.branch;
    push_settings.allow_non_fast_forward = args.git_allow_force_push;
    push_settings.agent = git_options.agent;
    push_settings.metrics = &fleet.metrics();
    push_settings.limits = args.limits.render;
    PushHandler push(
        push_settings, *key, [&watcher](GitUpdate update) { watcher.offer(std::move(update)); },
        [&watcher] { watcher.poke(); });
    GitEndpoint git_endpoint(server.fleet(), git_options, push, workers,
                             [&server](std::function<void()> fn) { server.post(std::move(fn)); });
    server.set_git(&git_endpoint);
    log::info("serving the fleet repository at ", args.insecure ? "http" : "https", "://", listen->host, ":",
              server.port(), "/git/fleet.git");

    watcher.observe_renders(fleet.metrics().render_seconds);
    watcher.start(deployed, referenced_commits((*store)->rollouts()));
    if (mirror) mirror->start();

    g_server = &server;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    server.run();
    log::info("shutting down");
    if (mirror) mirror->stop();
    workers.stop();
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
        if (args->command == "limits") return run_limits(*args);
        if (args->command == "rotate-signing-key") return run_rotate_signing_key(*args);
    } catch (const std::exception& e) {
        log::error("fatal: ", e.what());
        return 1;
    }
    return usage_error(cat("unknown command ", quoted(args->command), " (want init, serve, limits or rotate-signing-key)"));
}
