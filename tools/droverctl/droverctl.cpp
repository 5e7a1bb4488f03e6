#include "tools/droverctl/droverctl.h"

#include <ostream>
#include <span>
#include <string_view>

#include "common/text.h"
#include "drover_config.h"
#include "tools/droverctl/context.h"
#include "tools/droverctl/label_command.h"
#include "tools/droverctl/lint_command.h"
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
    "  status                        deployed revision, agents, bundles\n"
    "  agents                        agents and their bundles' states\n"
    "  bundles                       bundles: last changing commit, rollout\n"
    "  token create [--push] [--labels k=v,..] [--uses N] [--ttl 30d]\n"
    "                                a registration token for new agents, or a push token for git\n"
    "  label AGENT k=v k2- ...       set and remove an agent's labels\n"
    "  lint PATH                     check a fleet repository checkout (no hub needed)\n"
    "  render PATH [--labels k=v,..] [--name AGENT]\n"
    "                                the specs an agent would get (no hub needed)\n"
    "\n"
    "Global options:\n"
    "  --hub URL          the hub, e.g. https://hub.example:8443   (env DROVER_HUB)\n"
    "  --token TOKEN      the admin token                          (env DROVER_TOKEN)\n"
    "  --ca FILE          trust only this CA (the hub's ca.pem)    (env DROVER_CA)\n"
    "  --timeout DURATION give up on the hub after this long (default 30s)\n"
    "  -o, --output FMT   table (default) or json\n"
    "  -h, --help         this help; 'droverctl COMMAND --help' for a command's\n"
    "  --version          print the version\n"
    "\n"
    "Exit codes: 0 ok, 1 the hub refused or failed, 2 usage error, 3 hub unreachable.\n";

struct Command {
    std::string_view name;
    const char* help;
    int (*run)(const Context&, std::span<const std::string>);
};

int run_status_all(const Context& c, std::span<const std::string> a) { return run_status(c, a, StatusView::all); }
int run_agents(const Context& c, std::span<const std::string> a) { return run_status(c, a, StatusView::agents); }
int run_bundles(const Context& c, std::span<const std::string> a) { return run_status(c, a, StatusView::bundles); }

const Command kCommands[] = {
    {"status", kStatusHelp, run_status_all},
    {"agents", kAgentsHelp, run_agents},
    {"bundles", kBundlesHelp, run_bundles},
    {"token", kTokenHelp, run_token},
    {"label", kLabelHelp, run_label},
    {"lint", kLintHelp, run_lint},
    {"render", kRenderHelp, run_render},
};

}  // namespace

int run_droverctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const EnvLookup& env) {
    auto options = parse_global_options(args, env);
    if (!options) {
        err << "droverctl: " << options.error().message << " (see 'droverctl --help')\n";
        return kExitUsage;
    }
    Context ctx{std::move(*options), out, err};
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
        return command.run(ctx, std::span<const std::string>(ctx.options.command).subspan(1));
    }
    return ctx.usage_error(cat("unknown command ", quoted(word)));
}

}  // namespace drover::ctl
