#include "tools/droverctl/droverctl.h"

#include <ostream>
#include <span>
#include <string_view>

#include "common/clock.h"
#include "common/text.h"
#include "drover_config.h"
#include "tools/droverctl/agents_command.h"
#include "tools/droverctl/bundles_command.h"
#include "tools/droverctl/config_file.h"
#include "tools/droverctl/context.h"
#include "tools/droverctl/events_command.h"
#include "tools/droverctl/label_command.h"
#include "tools/droverctl/lint_command.h"
#include "tools/droverctl/provision_command.h"
#include "tools/droverctl/rollout_command.h"
#include "tools/droverctl/credential_commands.h"
#include "tools/droverctl/status_command.h"
#include "tools/droverctl/token_command.h"

namespace drover::ctl {

namespace {

const char* const kMainHelp =
    "Usage: droverctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "The drover operator CLI: talks to the hub's REST API.\n"
    "\n"
    "Commands:\n"
    "  status                        deployed revision, agents, bundles: everything at once\n"
    "  agents [-l SELECTOR] [--state STATE] [--limit N]\n"
    "                                agents: online or offline since when, labels, bundle states\n"
    "  agent NAME                    one agent: facts, version, each bundle's state and message\n"
    "  bundles                       bundles: last changing commit, agents per state\n"
    "  bundle NAME [--state STATE]   one bundle: which agents are in which state\n"
    "  rollouts                      staged rollouts: phase and progress of each\n"
    "  rollout status BUNDLE [--follow]\n"
    "                                one rollout: progress, why it halted, each agent's revision\n"
    "  rollout pause|resume|abort BUNDLE\n"
    "                                hold, continue, or take a rollout's revision back\n"
    "  events [--kind K] [--limit N] [--follow]\n"
    "                                pushes, refusals, registrations, revocations...; --follow streams\n"
    "  label AGENT k=v k2- ...       set and remove an agent's labels\n"
    "  token create [--push | --viewer] [--labels k=v,..] [--uses N] [--ttl 30d]\n"
    "                                a registration token for new agents, a push token for git,\n"
    "                                or a read-only viewer token\n"
    "  token list                    every token (never its secret)\n"
    "  token revoke ID               stop a token from working\n"
    "  revoke AGENT                  end an agent's session and refuse it from now on\n"
    "  rotate-credential AGENT       give an agent a new credential without interrupting it\n"
    "  lint PATH                     check a fleet repository checkout (no hub needed)\n"
    "  render PATH [--labels k=v,..] [--name AGENT]\n"
    "                                the specs an agent would get (no hub needed)\n"
    "  provision --out FILE [--labels k=v,..] [--apply TARGET] [--format tar|k8s]\n"
    "                                a device image overlay (agent, config, token, CA,\n"
    "                                signing key, systemd unit), or YAML for K3s\n"
    "\n"
    "Global options:\n"
    "  --hub URL          the hub, e.g. https://hub.example:8443   (env DROVER_HUB)\n"
    "  --token TOKEN      the admin or a viewer token              (env DROVER_TOKEN)\n"
    "  --ca FILE          trust only this CA (the hub's ca.pem)    (env DROVER_CA)\n"
    "  --timeout DURATION give up on the hub after this long (default 30s)\n"
    "  -o, --output FMT   table (default) or json\n"
    "  -h, --help         this help; 'droverctl COMMAND --help' for a command's\n"
    "  --version          print the version\n"
    "\n"
    "Hub, token and CA not given by flag or environment come from the config file\n"
    "$XDG_CONFIG_HOME/drover/config (default ~/.config/drover/config):\n"
    "  hub = https://hub.example:8443\n"
    "  token-file = ~/.config/drover/admin.token    # or: token = drv_...\n"
    "  ca = ~/.config/drover/ca.pem\n"
    "('#' at the start of a line or after a space starts a comment; relative paths\n"
    "are relative to the file.)\n"
    "\n"
    "Exit codes: 0 ok, 1 the hub refused or failed, 2 usage error, 3 hub unreachable,\n"
    "4 not found (no such agent, bundle, rollout or token).\n";

struct Command {
    std::string_view name;
    const char* help;
    int (*run)(const Context&, std::span<const std::string>);
    bool needs_hub;
};

const Command kCommands[] = {
    {"status", kStatusHelp, run_status, true},
    {"agents", kAgentsHelp, run_agents, true},
    {"agent", kAgentHelp, run_agent, true},
    {"bundles", kBundlesHelp, run_bundles, true},
    {"bundle", kBundleHelp, run_bundle, true},
    {"rollouts", kRolloutsHelp, run_rollouts, true},
    {"rollout", kRolloutHelp, run_rollout, true},
    {"events", kEventsHelp, run_events, true},
    {"token", kTokenHelp, run_token, true},
    {"label", kLabelHelp, run_label, true},
    {"revoke", kRevokeHelp, run_revoke, true},
    {"rotate-credential", kRotateCredentialHelp, run_rotate_credential, true},
    {"lint", kLintHelp, run_lint, false},
    {"render", kRenderHelp, run_render, false},
    {"provision", kProvisionHelp, run_provision, true},
};

const std::atomic<bool> kNeverInterrupted{false};

}  // namespace

int run_droverctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const EnvLookup& env,
                  const Runtime& runtime) {
    auto options = parse_global_options(args, env);
    if (!options) {
        err << "droverctl: " << options.error().message << " (see 'droverctl --help')\n";
        return kExitUsage;
    }
    Context ctx{std::move(*options), out, err, runtime.now_ms ? runtime.now_ms() : unix_now_ms(),
                runtime.interrupted ? runtime.interrupted : &kNeverInterrupted};
    if (ctx.options.version) {
        out << "droverctl " << DROVER_VERSION << "\n";
        return kExitOk;
    }
    if (ctx.options.command.empty()) {
        if (ctx.options.help) {
            out << kMainHelp;
            return kExitOk;
        }
        return ctx.usage_error("no command given");
    }
    const std::string& word = ctx.options.command.front();
    if (word == "help") {
        out << kMainHelp;
        return kExitOk;
    }
    for (const Command& command : kCommands) {
        if (command.name != word) continue;
        if (ctx.options.help) {
            out << command.help;
            return kExitOk;
        }
        if (command.needs_hub) {
            if (auto ok = apply_config_file(ctx.options, env); !ok) return ctx.usage_error(ok.error().message);
        }
        return command.run(ctx, std::span<const std::string>(ctx.options.command).subspan(1));
    }
    return ctx.usage_error(cat("unknown command ", quoted(word)));
}

}  // namespace drover::ctl
