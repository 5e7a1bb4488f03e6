#include "tools/droverctl/bundles_command.h"

#include <ostream>

#include "common/text.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/table.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kBundlesHelp =
    "Usage: droverctl bundles\n"
    "\n"
    "Lists the deployed bundles: the commit that last changed each, the deployed\n"
    "revision, and how many of the agents it targets are in each state.\n"
    "\n"
    "  READY        Ready and running the deployed revision, of all targeted\n"
    "  OUT OF SYNC  still running an older revision\n"
    "  PENDING      targeted, nothing reported yet\n"
    "  OFFLINE      targeted agents that are offline (also counted by last state)\n"
    "\n"
    "COMMIT is the commit that last changed the bundle; roll back with git revert\n"
    "and git push:\n"
    "  git revert COMMIT && git push\n"
    "(the revert undoes everything COMMIT changed, in every bundle it touched).\n"
    "REVISION is the deployed commit of the whole repository.\n"
    "-o json prints the hub's answer to GET /api/v1/bundles.\n";

const char* const kBundleHelp =
    "Usage: droverctl bundle NAME [--state STATE]\n"
    "\n"
    "Shows one bundle: its commit and revision, how many targeted agents are in\n"
    "each state and which ones (the first few per state).\n"
    "\n"
    "  --state STATE  print every agent in STATE (Ready, NotReady, Failed,\n"
    "                 Modified, OutOfSync, Pending), one name per line\n"
    "\n"
    "-o json prints the hub's answer, every agent name included.\n"
    "Exit 4 when no bundle of that name is deployed.\n";

namespace {

constexpr size_t kNamesShown = 10;

std::string count(const json& b, const char* field) { return cat(int_field(b, field)); }

}  // namespace

std::string format_bundles(const json& bundles) {
    Table table({"NAME", "COMMIT", "REVISION", "READY", "NOT READY", "FAILED", "MODIFIED", "OUT OF SYNC", "PENDING",
                 "OFFLINE"});
    for (const json& b : bundles)
        table.add_row({text_field(b, "name"), short_commit(text_field(b, "commit")),
                       short_commit(text_field(b, "revision")),
                       cat(int_field(b, "ready"), "/", int_field(b, "targeted")), count(b, "not_ready"),
                       count(b, "failed"), count(b, "modified"), count(b, "out_of_sync"), count(b, "pending"),
                       count(b, "offline")});
    return table.render();
}

std::string format_bundle(const json& b) {
    std::string out = cat("Bundle:     ", printable(text_field(b, "name")), "\n",
                          "Commit:     ", short_commit(text_field(b, "commit")), "  (last changed the bundle)\n",
                          "Revision:   ", short_commit(text_field(b, "revision")), "  (deployed)\n",
                          "Targeted:   ", int_field(b, "targeted"), " agents, ", int_field(b, "ready"), " Ready, ",
                          int_field(b, "offline"), " offline\n\n");
    const json& agents = object_field(b, "agents");
    if (agents.empty()) return out + "No agents are targeted.\n";
    Table table({"STATE", "AGENTS", "NAMES"});
    for (const auto& [state, names] : agents.items()) {
        if (!names.is_array()) continue;
        std::string shown;
        size_t listed = 0;
        for (const json& n : names) {
            if (!n.is_string()) continue;
            if (listed == kNamesShown) {
                shown += cat(" (+", names.size() - listed, " more)");
                break;
            }
            if (listed++ > 0) shown += ", ";
            shown += n.get<std::string>();
        }
        table.add_row({state, cat(names.size()), shown});
    }
    return out + table.render();
}

int run_bundles(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "bundles");
    if (!parsed->positionals.empty())
        return ctx.usage_error(cat("unexpected argument ", quoted(parsed->positionals.front())), "bundles");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    auto bundles = client->get("/api/v1/bundles");
    if (!bundles) return ctx.api_failure(bundles.error());
    if (!bundles->is_array()) return ctx.failure("hub answered GET /api/v1/bundles with something other than an array");
    if (ctx.options.output == OutputFormat::json) ctx.print_json(*bundles);
    else if (bundles->empty()) ctx.out << "No bundles deployed.\n";
    else ctx.out << format_bundles(*bundles);
    return kExitOk;
}

int run_bundle(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {"--state"});
    if (!parsed) return ctx.usage_error(parsed.error().message, "bundle");
    if (parsed->positionals.size() != 1)
        return ctx.usage_error(parsed->positionals.empty() ? "bundle needs a bundle name" : "bundle takes one bundle name",
                               "bundle");
    auto state = parsed->value("--state");
    if (state && ctx.options.output == OutputFormat::json)
        return ctx.usage_error("--state lists names as text; -o json prints every state already", "bundle");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    auto bundle = client->get("/api/v1/bundles/" + escape_path_segment(parsed->positionals.front()));
    if (!bundle) return ctx.api_failure(bundle.error());
    if (!bundle->is_object())
        return ctx.failure("hub answered GET /api/v1/bundles/NAME with something other than an object");
    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json(*bundle);
        return kExitOk;
    }
    if (!state) {
        ctx.out << format_bundle(*bundle);
        return kExitOk;
    }
    for (const json& name : array_field(object_field(*bundle, "agents"), state->c_str()))
        if (name.is_string()) ctx.out << printable(name.get<std::string>()) << "\n";
    return kExitOk;
}

}  // namespace drover::ctl
