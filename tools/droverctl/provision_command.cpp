#include "tools/droverctl/provision_command.h"

#include <unistd.h>

#include <climits>
#include <ostream>
#include <vector>

#include "common/deflate.h"
#include "common/fs.h"
#include "common/labels.h"
#include "common/text.h"
#include "drover_config.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/provision_tar.h"
#include "tools/droverctl/token_command.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kProvisionHelp =
    "Usage: droverctl provision --out FILE [--labels k=v,...] [--apply TARGET]\n"
    "         [--token-ttl DURATION] [--token-uses N] [--name-from hostname]\n"
    "         [--agent-binary PATH] [--format tar|k8s] [--hub-url URL] [--image IMAGE]\n"
    "\n"
    "Writes what a device needs to join the fleet: a new registration token\n"
    "(POST /api/v1/tokens), the hub's CA and spec-signing key (GET /api/v1/trust)\n"
    "and the agent's configuration.\n"
    "\n"
    "--format tar (the default) writes a gzip'd tar to unpack at / of a root\n"
    "filesystem (debootstrap, Yocto, Buildroot, Packer):\n"
    "  usr/local/bin/drover-agent                    the agent\n"
    "  etc/drover/agent.conf                         settings and the token (0600)\n"
    "  etc/drover/ca.pem, etc/drover/signing.pub.pem the hub's CA and signing key\n"
    "  etc/systemd/system/drover-agent.service       restart always, state in\n"
    "                                                /var/lib/drover, sandboxed\n"
    "  etc/systemd/system/multi-user.target.wants/drover-agent.service (enabled)\n"
    "Unpack as root keeping modes: tar -xzpf FILE -C ROOT\n"
    "--format k8s writes the YAML that runs the agent in a K3s or Kubernetes\n"
    "cluster (kubectl apply -f FILE); --apply must then be kube.\n"
    "\n"
    "  --out FILE            where to write (mode 0600: it holds the token)\n"
    "  --labels k=v,...      the device's labels (in agent.conf and on the token)\n"
    "  --apply TARGET        kube (default), k3s-manifests[:DIR] or dir:PATH, as\n"
    "                        drover-agent --apply; the unit's sandbox follows it\n"
    "  --token-ttl DURATION  how long the token may register agents (default 30d)\n"
    "  --token-uses N        how many devices may register with it (default: unlimited)\n"
    "  --name-from hostname  how the agent names itself: its host name (the only\n"
    "                        source so far, and the default)\n"
    "  --agent-binary PATH   the drover-agent to ship (default: the one beside droverctl)\n"
    "  --hub-url URL         the hub as agents reach it (default: --hub with https://\n"
    "                        turned into wss://)\n"
    "  --image IMAGE         --format k8s: the agent's container image\n"
    "                        (default drover-agent:" DROVER_VERSION ")\n"
    "\n"
    "The token is never printed; droverctl token revoke ID (shown) withdraws it.\n";

namespace {

enum class Format { tar, k8s };

// The drover-agent installed beside this droverctl.
Result<std::string> default_agent_binary() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return fail("cannot find droverctl's own path; give --agent-binary PATH");
    std::string path = cat(parent_dir(std::string(buf, static_cast<size_t>(n))), "/drover-agent");
    if (::access(path.c_str(), X_OK) != 0)
        return fail(cat("no drover-agent beside droverctl (", path, "); give --agent-binary PATH"));
    return path;
}

struct ProvisionArgs {
    std::string out;
    Format format = Format::tar;
    ProvisionPlan plan;  // hub_url (when given), labels, apply, image
    json token_request;
    std::string agent_binary;  // tar: the path to read
};

Result<ProvisionArgs> parse_provision_args(std::span<const std::string> raw) {
    auto args = parse_args(raw, {"--out", "--labels", "--apply", "--token-ttl", "--token-uses", "--name-from",
                                 "--agent-binary", "--format", "--hub-url", "--image"});
    if (!args) return std::unexpected(args.error());
    if (!args->positionals.empty()) return fail(cat("unexpected argument ", quoted(args->positionals.front())));
    ProvisionArgs p;
    p.out = args->value("--out").value_or("");
    if (p.out.empty()) return fail("provision needs --out FILE");
    std::string format = args->value("--format").value_or("tar");
    if (format == "k8s") p.format = Format::k8s;
    else if (format != "tar") return fail(cat("--format ", quoted(format), ": want tar or k8s"));

    auto labels = parse_labels(args->value("--labels").value_or(""));
    if (!labels) return fail(cat("--labels: ", labels.error().message));
    p.plan.labels = *labels;
    p.plan.apply = args->value("--apply").value_or("kube");
    if (auto ok = check_apply_target(p.plan.apply); !ok) return std::unexpected(ok.error());
    if (p.format == Format::k8s && p.plan.apply != "kube")
        return fail(cat("--format k8s runs the agent in a pod, which applies through the API: --apply must be kube, not ",
                        quoted(p.plan.apply)));

    std::string name_from = args->value("--name-from").value_or("hostname");
    if (name_from != "hostname") return fail(cat("--name-from ", quoted(name_from), ": only hostname is supported"));

    if (auto url = args->value("--hub-url")) {
        if (!starts_with(*url, "wss://") && !starts_with(*url, "ws://"))
            return fail(cat("--hub-url ", quoted(*url), ": the agent's hub URL starts with wss:// (or ws://)"));
        if (auto ok = check_conf_hub_url(*url); !ok) return fail(cat("--hub-url: ", ok.error().message));
        p.plan.hub_url = *url;
    }
    if (auto image = args->value("--image")) {
        if (p.format != Format::k8s) return fail("--image is for --format k8s");
        if (image->empty() || image->find_first_of(" \t\n\"'#") != std::string::npos)
            return fail(cat("--image ", quoted(*image), ": not an image reference"));
        p.plan.image = *image;
    } else {
        p.plan.image = cat("drover-agent:", DROVER_VERSION);
    }
    if (auto binary = args->value("--agent-binary")) {
        if (p.format != Format::tar) return fail("--agent-binary is for --format tar (a pod runs an image)");
        p.agent_binary = *binary;
    }

    p.token_request = {{"labels", p.plan.labels}};
    if (auto ok = add_token_limits(p.token_request, args->value("--token-uses"), "--token-uses",
                                   args->value("--token-ttl").value_or("30d"), "--token-ttl");
        !ok)
        return std::unexpected(ok.error());
    return p;
}

// The overlay's tar entries for plan: directories, the agent binary (0755),
// agent.conf (0600), the CA and signing key (0644), the unit (0644) and the
// multi-user.target.wants link. mtime_s stamps every entry.
Result<std::string> overlay_tar(const ProvisionPlan& plan, std::string_view agent_binary, int64_t mtime_s) {
    TarArchive tar(mtime_s);
    for (const char* dir : {"etc", "etc/drover", "etc/systemd", "etc/systemd/system",
                            "etc/systemd/system/multi-user.target.wants", "usr", "usr/local", "usr/local/bin"}) {
        if (auto ok = tar.add_directory(dir, 0755); !ok) return std::unexpected(ok.error());
    }
    struct File {
        const char* path;
        std::string_view data;
        unsigned mode;
    };
    std::string conf = agent_conf(plan), unit = systemd_unit(plan);
    std::vector<File> files = {{kOverlayConfig, conf, 0600}, {kOverlaySigningKey, plan.signing_key_pem, 0644}};
    if (!plan.ca_pem.empty()) files.push_back({kOverlayCa, plan.ca_pem, 0644});
    files.push_back({kOverlayUnit, unit, 0644});
    files.push_back({kOverlayAgentBinary, agent_binary, 0755});
    for (const File& f : files) {
        if (auto ok = tar.add_file(f.path + 1, f.data, f.mode); !ok) return std::unexpected(ok.error());
    }
    if (auto ok = tar.add_symlink("etc/systemd/system/multi-user.target.wants/drover-agent.service",
                                  "../drover-agent.service");
        !ok)
        return std::unexpected(ok.error());
    return std::move(tar).finish();
}

// The overlay or YAML for plan.
Result<std::string> render_output(const ProvisionArgs& args, const ProvisionPlan& plan, std::string_view binary,
                                  int64_t now_ms) {
    if (args.format == Format::k8s) return kubernetes_yaml(plan);
    auto tar = overlay_tar(plan, binary, now_ms / 1000);
    if (!tar) return tar;
    return gzip_bytes(*tar);
}

}  // namespace

int run_provision(const Context& ctx, std::span<const std::string> raw) {
    auto args = parse_provision_args(raw);
    if (!args) return ctx.usage_error(args.error().message, "provision");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);
    ProvisionPlan plan = args->plan;
    if (plan.hub_url.empty()) {
        auto url = agent_hub_url(ctx.options.hub);
        if (!url) return ctx.usage_error(url.error().message, "provision");
        if (auto ok = check_conf_hub_url(*url); !ok) return ctx.usage_error(ok.error().message, "provision");
        plan.hub_url = *url;
    }
    // Everything local is checked before the hub hands out a token.
    std::string binary;
    if (args->format == Format::tar) {
        std::string path = args->agent_binary;
        if (path.empty()) {
            auto found = default_agent_binary();
            if (!found) return ctx.usage_error(found.error().message, "provision");
            path = *found;
        }
        auto bytes = read_file(path, size_t{512} << 20);
        if (!bytes) return ctx.failure(cat("--agent-binary: ", bytes.error().message));
        if (!starts_with(*bytes, "\x7f" "ELF")) return ctx.failure(cat("--agent-binary: ", path, " is not an executable (ELF)"));
        binary = std::move(*bytes);
    }
    auto trust = client->get("/api/v1/trust");
    if (!trust) return ctx.api_failure(trust.error());
    plan.signing_key_pem = text_field(*trust, "signing_key");
    if (plan.signing_key_pem.find("-----BEGIN PUBLIC KEY-----") == std::string::npos)
        return ctx.failure("hub answered GET /api/v1/trust without a PEM signing key");
    bool tls = starts_with(plan.hub_url, "wss://");
    if (tls) {
        plan.ca_pem = text_field(*trust, "ca");
        if (plan.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            return ctx.failure(cat("the hub serves no CA certificate (does it run --insecure?); agents of ",
                                   plan.hub_url, " need one"));
    }

    auto created = client->post("/api/v1/tokens", args->token_request);
    if (!created) return ctx.api_failure(created.error());
    plan.token = text_field(*created, "token");
    std::string id = text_field(*created, "id");
    if (plan.token.empty()) return ctx.failure("hub answered POST /api/v1/tokens without a token");
    auto unused = [&](const std::string& why) {
        return ctx.failure(cat(why, "; the token it was made for is unused: droverctl token revoke ", id));
    };

    if (auto ok = check_conf_token(plan.token); !ok) return unused(ok.error().message);
    auto output = render_output(*args, plan, binary, ctx.now_ms);
    if (!output) return unused(output.error().message);
    if (auto written = write_file_atomic(args->out, *output, 0600); !written)
        return unused(cat("writing ", args->out, ": ", written.error().message));

    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json({{"out", args->out},
                        {"format", args->format == Format::k8s ? "k8s" : "tar"},
                        {"hub", plan.hub_url},
                        {"apply", plan.apply},
                        {"token_id", id},
                        {"expires_at", created->contains("expires_at") ? (*created)["expires_at"] : json(nullptr)}});
        return kExitOk;
    }
    ctx.out << "wrote " << args->out << (args->format == Format::k8s ? " (Kubernetes YAML)" : " (image overlay)")
            << " for agents of " << plan.hub_url << ", applying to " << plan.apply << "\n";
    ctx.out << token_summary(*created) << "\n";
    return kExitOk;
}

}  // namespace drover::ctl
