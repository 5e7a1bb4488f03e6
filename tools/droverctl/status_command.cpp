#include "tools/droverctl/status_command.h"

#include <ostream>

#include "common/text.h"
#include "tools/droverctl/agents_command.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/table.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kStatusHelp =
    "Usage: droverctl status\n"
    "\n"
    "Shows the deployed revision (and the newest commit's error if the hub refused\n"
    "it), how many agents are online and bundles healthy, every agent with its\n"
    "bundles' states, and every bundle's rollout. A bundle is healthy when every\n"
    "agent it targets is Ready at the deployed revision.\n"
    "For a large fleet, 'droverctl agents' pages and filters; 'droverctl bundles'\n"
    "counts every state. -o json prints the hub's answer to GET /api/v1/status.\n";
namespace {

std::string revision_lines(const json& status) {
    const json& revision = object_field(status, "revision");
    std::string commit = text_field(revision, "commit");
    std::string out;
    if (commit.empty()) {
        out = "Revision: none deployed yet (git push to the hub's repository, DATA/fleet.git)\n";
    } else {
        std::string at = text_field(revision, "deployed_at");
        out = cat("Revision: ", short_commit(commit), at.empty() ? std::string() : "  deployed " + at, "\n");
    }
    const json& error = object_field(revision, "error");
    if (!error.empty()) {
        std::string refused = text_field(error, "commit");
        out += cat("ERROR: commit ", refused.empty() ? std::string("(unknown)") : short_commit(refused),
                   " was refused, ", commit.empty() ? "nothing is deployed" : "the revision above stays deployed",
                   ": ", printable(text_field(error, "message")), "\n");
    }
    return out;
}

std::string agent_status(const json& agent) {
    if (bool_field(agent, "online")) return "online";
    std::string seen = text_field(agent, "last_seen");
    return seen.empty() ? "offline (never seen)" : "offline since " + seen;
}

// "Agents: 3 registered, 2 online, 1 offline. Bundles: 2, 1 healthy, 1 degraded."
std::string headline(const json& status) {
    const json& agents = array_field(status, "agents");
    const json& bundles = array_field(status, "bundles");
    size_t online = 0, healthy = 0;
    for (const json& a : agents) online += bool_field(a, "online") ? 1 : 0;
    for (const json& b : bundles) healthy += int_field(b, "ready") == int_field(b, "targeted") ? 1 : 0;
    return cat("Agents: ", agents.size(), " registered, ", online, " online, ", agents.size() - online,
               " offline. Bundles: ", bundles.size(), ", ", healthy, " healthy, ", bundles.size() - healthy,
               " degraded.\n");
}

std::string agents_section(const json& status) {
    const json& agents = array_field(status, "agents");
    if (agents.empty()) return "No agents registered yet (create a token: droverctl token create).\n";
    Table table({"NAME", "STATUS", "LAST SEEN", "LABELS", "BUNDLES"});
    Table problems({"AGENT", "BUNDLE", "STATE", "MESSAGE"});
    for (const json& agent : agents) {
        std::string name = text_field(agent, "name");
        table.add_row({name, agent_status(agent), text_field(agent, "last_seen"),
                       labels_text(object_field(agent, "labels")), bundle_states_text(agent)});
        for (const json& b : array_field(agent, "bundles")) {
            std::string state = text_field(b, "state");
            std::string message = text_field(b, "message");
            if (state != "Ready" && !message.empty()) problems.add_row({name, text_field(b, "bundle"), state, message});
        }
    }
    std::string out = cat("AGENTS (", agents.size(), ")\n", table.render());
    if (!problems.empty()) out += "\nPROBLEMS\n" + problems.render();
    return out;
}

std::string states_text(const json& states) {
    std::string out;
    if (!states.is_object()) return out;
    for (const auto& [state, count] : states.items()) {
        if (!count.is_number_integer()) continue;
        if (!out.empty()) out += ' ';
        out += cat(state, "=", count.get<int64_t>());
    }
    return out;
}

std::string bundles_section(const json& status) {
    const json& bundles = array_field(status, "bundles");
    if (bundles.empty()) return "No bundles deployed.\n";
    Table table({"NAME", "COMMIT", "REVISION", "READY", "NOT READY", "STATES"});
    for (const json& b : bundles) {
        table.add_row({text_field(b, "name"), short_commit(text_field(b, "commit")),
                       short_commit(text_field(b, "revision")),
                       cat(int_field(b, "ready"), "/", int_field(b, "targeted")), cat(int_field(b, "not_ready")),
                       states_text(object_field(b, "states"))});
    }
    return cat("BUNDLES (", bundles.size(), ")\n", table.render());
}

}  // namespace

std::string format_status(const json& status) {
    return revision_lines(status) + headline(status) + "\n" + agents_section(status) + "\n" + bundles_section(status);
}

int run_status(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "status");
    if (!parsed->positionals.empty())
        return ctx.usage_error(cat("unexpected argument ", quoted(parsed->positionals.front())), "status");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    auto status = client->get("/api/v1/status");
    if (!status) return ctx.api_failure(status.error());
    if (!status->is_object()) return ctx.failure("hub answered GET /api/v1/status with something other than an object");
    if (ctx.options.output == OutputFormat::table) ctx.out << format_status(*status);
    else ctx.print_json(*status);
    return kExitOk;
}

}  // namespace drover::ctl
