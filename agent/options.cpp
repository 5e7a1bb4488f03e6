#include "agent/options.h"

#include <unistd.h>

#include <climits>
#include <map>
#include <optional>

#include "common/fs.h"
#include "common/key_value_file.h"
#include "common/text.h"

namespace drover::agent {

namespace {

constexpr int64_t kMinDriftIntervalMs = 100;

struct FlagSpec {
    const char* name;
    bool takes_value;
    bool in_config;
};

constexpr FlagSpec kFlags[] = {
    {"hub", true, true},           {"ca", true, true},    {"token", true, true},
    {"data-dir", true, true},      {"labels", true, true}, {"apply", true, true},
    {"name", true, true},          {"drift-interval", true, true}, {"log-level", true, true},
    {"insecure", false, true},     {"config", true, false},
    {"backoff-base", true, true},  {"backoff-cap", true, true}, {"heartbeat", true, true},
    {"idle-timeout", true, true},
    {"kubeconfig", true, true},    {"readiness-interval", true, true},
    {"signing-key", true, true},
};

const FlagSpec* find_flag(std::string_view name) {
    for (auto& f : kFlags)
        if (name == f.name) return &f;
    return nullptr;
}

// A setting and where it came from ("--hub", "agent.conf:3"), so an error
// points at the line to fix.
struct Setting {
    std::string value;
    std::string origin;
};
using Settings = std::map<std::string, Setting>;

Result<Settings> read_config(const std::string& path) {
    auto text = read_file(path, 1 << 20);
    if (!text) return fail(cat("--config: ", text.error().message));
    auto entries = parse_key_value_text(*text, path);
    if (!entries) return std::unexpected(entries.error());
    Settings out;
    for (auto& entry : *entries) {
        std::string where = cat(path, ":", entry.line);
        const FlagSpec* flag = find_flag(entry.key);
        if (!flag || !flag->in_config) return fail(cat(where, ": unknown key ", quoted(entry.key)));
        if (out.count(entry.key))
            return fail(cat(where, ": ", entry.key, " is set twice (first at ", out[entry.key].origin, ")"));
        out[entry.key] = Setting{std::move(entry.value), where};
    }
    return out;
}

Result<bool> parse_bool(const Setting& s, std::string_view key) {
    if (s.value == "true" || s.value == "yes" || s.value == "1") return true;
    if (s.value == "false" || s.value == "no" || s.value == "0") return false;
    return fail(cat(s.origin, ": ", key, " must be true or false, not ", quoted(s.value)));
}

std::string host_name() {
    char buf[HOST_NAME_MAX + 1] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "drover-agent";
    return buf;
}

Result<AgentOptions> build_options(const Settings& settings, std::vector<std::string>& warnings) {
    AgentOptions o;
    auto get = [&](const char* key) -> const Setting* {
        auto it = settings.find(key);
        return it == settings.end() ? nullptr : &it->second;
    };
    auto required = [&](const char* key) -> Result<const Setting*> {
        const Setting* s = get(key);
        if (!s || s->value.empty()) return fail(cat("--", key, " is required (see --help)"));
        return s;
    };

    if (const Setting* s = get("insecure")) {
        auto b = parse_bool(*s, "insecure");
        if (!b) return fail(b.error().message);
        o.insecure = *b;
    }

    auto hub = required("hub");
    if (!hub) return fail(hub.error().message);
    auto url = session::parse_hub_url((*hub)->value);
    if (!url) return fail(cat((*hub)->origin, ": ", url.error().message));
    o.hub = *url;
    if (!o.hub.tls && !o.insecure)
        return fail(cat((*hub)->origin, ": ws:// sends credentials unencrypted; use wss:// or add --insecure"));
    if (o.hub.tls && o.insecure) warnings.push_back("--insecure has no effect on a wss:// hub; its CA is still verified");

    if (const Setting* s = get("ca")) o.ca = s->value;
    if (o.hub.tls && o.ca.empty()) return fail("--ca is required for a wss:// hub (the CA certificate to trust, PEM)");

    if (const Setting* s = get("token")) o.token = s->value;
    if (const Setting* s = get("signing-key")) o.signing_key = s->value;

    auto data_dir = required("data-dir");
    if (!data_dir) return fail(data_dir.error().message);
    o.data_dir = (*data_dir)->value;

    if (const Setting* s = get("labels")) {
        auto labels = parse_labels(s->value);
        if (!labels) return fail(cat(s->origin, ": ", labels.error().message));
        o.labels = *labels;
    }

    auto apply = required("apply");
    if (!apply) return fail(apply.error().message);
    auto target = parse_apply_target((*apply)->value);
    if (!target) return fail(cat((*apply)->origin, ": ", target.error().message));
    o.apply = std::move(*target);
    if (const Setting* s = get("kubeconfig"); s && !s->value.empty()) {
        if (o.apply.kind != ApplyTarget::Kind::kube)
            return fail(cat(s->origin, ": --kubeconfig is only used with --apply kube"));
        o.kubeconfig = s->value;
    }

    if (const Setting* s = get("name"); s && !s->value.empty())
        o.name = s->value;
    else
        o.name = host_name();

    if (const Setting* s = get("drift-interval")) {
        auto ms = parse_duration_ms(s->value);
        if (!ms || *ms < kMinDriftIntervalMs)
            return fail(cat(s->origin, ": drift-interval ", quoted(s->value),
                            " is not a duration of at least 100ms (like 30s, 5m)"));
        o.drift_interval = std::chrono::milliseconds(*ms);
    }

    struct Duration {
        const char* key;
        std::chrono::milliseconds* target;
        int64_t min_ms;
        const char* example;
    };
    for (const Duration& d : {Duration{"readiness-interval", &o.readiness_interval, 10, "5s"},
                              Duration{"backoff-base", &o.backoff_base, 10, "10s"},
                              Duration{"backoff-cap", &o.backoff_cap, 10, "5m"},
                              Duration{"heartbeat", &o.heartbeat, 100, "60s"},
                              Duration{"idle-timeout", &o.idle_timeout, 200, "150s"}}) {
        const Setting* s = get(d.key);
        if (!s) continue;
        auto ms = parse_duration_ms(s->value);
        if (!ms || *ms < d.min_ms)
            return fail(cat(s->origin, ": ", d.key, " ", quoted(s->value), " is not a duration of at least ", d.min_ms,
                            "ms (like ", d.example, ")"));
        *d.target = std::chrono::milliseconds(*ms);
    }
    if (o.backoff_cap < o.backoff_base)
        return fail(cat("backoff-cap (", o.backoff_cap.count(), "ms) is shorter than backoff-base (",
                        o.backoff_base.count(), "ms)"));
    if (o.idle_timeout < 2 * o.heartbeat)
        return fail(cat("idle-timeout (", o.idle_timeout.count(), "ms) must be at least twice the heartbeat (",
                        o.heartbeat.count(), "ms): one lost pong must not end a healthy link"));

    if (const Setting* s = get("log-level")) {
        if (s->value == "debug") o.log_level = log::Level::debug;
        else if (s->value == "info") o.log_level = log::Level::info;
        else if (s->value == "warn") o.log_level = log::Level::warn;
        else if (s->value == "error") o.log_level = log::Level::error;
        else return fail(cat(s->origin, ": log-level must be debug, info, warn or error, not ", quoted(s->value)));
    }
    return o;
}

}  // namespace

Result<CommandLine> parse_command_line(const std::vector<std::string>& args) {
    CommandLine out;
    // --help and --version answer even when the rest is wrong.
    for (size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--help" || args[i] == "-h") {
            out.command = Command::help;
            return out;
        }
        if (args[i] == "--version") {
            out.command = Command::version;
            return out;
        }
    }
    Settings flags;
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (!starts_with(arg, "--")) return fail(cat("unexpected argument ", quoted(arg), " (see --help)"));
        std::string name = arg.substr(2);
        std::optional<std::string> value;
        if (size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        const FlagSpec* flag = find_flag(name);
        if (!flag) return fail(cat("unknown option --", name, " (see --help)"));
        if (flags.count(name)) return fail(cat("--", name, " is given twice"));
        if (!flag->takes_value) {
            flags[name] = Setting{value.value_or("true"), "--" + name};
            continue;
        }
        if (!value) {
            if (i + 1 >= args.size()) return fail(cat("--", name, " needs a value"));
            value = args[++i];
        }
        flags[name] = Setting{*value, "--" + name};
    }

    Settings merged;
    if (auto config = flags.find("config"); config != flags.end()) {
        auto file = read_config(config->second.value);
        if (!file) return fail(file.error().message);
        merged = std::move(*file);
        flags.erase(config);
    }
    for (auto& [k, v] : flags) merged[k] = v;

    auto options = build_options(merged, out.warnings);
    if (!options) return fail(options.error().message);
    out.options = std::move(*options);
    return out;
}

std::string usage() {
    return R"(drover-agent: runs on an edge device, keeps a link to the drover hub, applies
the bundles meant for this device and reports their status.

Usage:
  drover-agent --hub wss://HUB:8443 --ca CA.pem --token TOKEN --data-dir DIR
               --apply kube|k3s-manifests[:DIR]|dir:PATH [--kubeconfig FILE]
               [--signing-key FILE] [--labels k=v,...] [--name NAME] [--drift-interval 30s]
               [--readiness-interval 5s] [--log-level info] [--insecure]
               [--backoff-base 5s] [--backoff-cap 5m] [--heartbeat 60s]
               [--idle-timeout 150s]
  drover-agent --config FILE [flags that override the file]
  drover-agent --help | --version

Options:
  --hub URL             the hub, wss://HOST[:PORT][/PATH] (path default /v1/agent);
                        ws:// only together with --insecure
  --ca FILE             CA certificate (PEM) the hub's certificate must chain to;
                        the system trust store is not used
  --token TOKEN         registration token (droverctl token create); needed only
                        until the agent has registered, ignored afterwards
  --signing-key FILE    the hub's spec-signing public key (PEM, from droverctl
                        provision); a hub presenting another key is refused.
                        Without it the key of the first contact is pinned
  --data-dir DIR        where the agent keeps its cache (identity, specs, status)
  --apply TARGET        where objects go:
                          kube: the Kubernetes API (server-side apply, prune,
                            readiness, drift); credentials from --kubeconfig,
                            else $KUBECONFIG, else the pod's service account,
                            else /etc/rancher/k3s/k3s.yaml
                          k3s-manifests[:DIR]: one YAML file per bundle in
                            K3s's auto-deploy directory (default
                            /var/lib/rancher/k3s/server/manifests; server
                            nodes; no readiness, removal leaves the objects)
                          dir:PATH: each object as a JSON file under
                            PATH/<bundle>/ (plain devices, demos, tests)
  --kubeconfig FILE     the kubeconfig for --apply kube (its current-context)
  --labels k=v,...      labels the hub targets bundles by
  --name NAME           the name to register (default: the host name)
  --drift-interval D    how often live objects are compared with what was applied
                        (default 30s; units ms, s, m, h)
  --readiness-interval D
                        how often NotReady bundles are checked again (5s)
  --backoff-base D      reconnects wait a random time in [0, base * 2^n], capped
  --backoff-cap D       at cap (full jitter; defaults 5s and 5m, sized so a
                        restarted hub with 10,000 agents is not stampeded)
  --heartbeat D         ping the hub when the link was quiet this long (default
                        60s; the hub may ask for shorter)
  --idle-timeout D      hang up and reconnect when nothing arrived from the hub
                        for this long: a dead link TCP never reports (150s)
  --log-level LEVEL     debug, info, warn or error (default info)
  --insecure            allow a ws:// hub (no TLS)
  --config FILE         read settings from FILE: one "key = value" per line, keys
                        are the option names without dashes, # starts a comment

Exit status: 0 after SIGINT/SIGTERM, 1 when the agent cannot run, 2 on bad input.
)";
}

}  // namespace drover::agent
