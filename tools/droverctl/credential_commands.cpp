#include "tools/droverctl/credential_commands.h"

#include <expected>
#include <ostream>

#include "common/text.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/table.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kRevokeHelp =
    "Usage: droverctl revoke AGENT\n"
    "\n"
    "Revokes an agent's credential: the hub ends its session now and refuses it\n"
    "from then on (a lost, stolen or retired device). What the agent applied\n"
    "stays on the device.\n"
    "Exit 4 when there is no such agent.\n";

const char* const kRotateCredentialHelp =
    "Usage: droverctl rotate-credential AGENT\n"
    "\n"
    "Gives an agent a new credential without interrupting it: at once when it is\n"
    "online, else when it next connects. The hub refuses the old credential once\n"
    "the agent has stored the new one. (The hub also rotates credentials by age:\n"
    "drover-hub serve --credential-max-age.)\n"
    "Exit 4 when there is no such agent.\n";

namespace {

// POST /api/v1/agents/AGENT/ACTION for the one agent named in args: the
// hub's reply, or the exit code of what went wrong (already reported).
std::expected<json, int> post_agent_action(const Context& ctx, std::span<const std::string> args,
                                           std::string_view command) {
    auto parsed = parse_args(args, {});
    if (!parsed) return std::unexpected(ctx.usage_error(parsed.error().message, command));
    if (parsed->positionals.size() != 1)
        return std::unexpected(ctx.usage_error(
            cat(command, parsed->positionals.empty() ? " needs an agent name" : " takes one agent name"), command));
    auto client = ctx.client();
    if (!client) return std::unexpected(ctx.usage_error(client.error().message));
    auto reply = client->post(cat("/api/v1/agents/", escape_path_segment(parsed->positionals.front()), "/", command),
                              json::object());
    if (!reply) return std::unexpected(ctx.api_failure(reply.error()));
    return *reply;
}

}  // namespace

int run_revoke(const Context& ctx, std::span<const std::string> args) {
    auto revoked = post_agent_action(ctx, args, "revoke");
    if (!revoked) return revoked.error();
    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json(*revoked);
        return kExitOk;
    }
    ctx.out << "revoked agent " << printable(text_field(*revoked, "name"))
            << ": its session is closed and the hub refuses it from now on\n";
    return kExitOk;
}

int run_rotate_credential(const Context& ctx, std::span<const std::string> args) {
    auto reply = post_agent_action(ctx, args, "rotate-credential");
    if (!reply) return reply.error();
    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json(*reply);
        return kExitOk;
    }
    bool now = text_field(*reply, "rotation") == "started";
    ctx.out << "agent " << printable(text_field(*reply, "name")) << " gets a new credential "
            << (now ? "now" : "when it next connects") << "; the old one stops working once it is stored\n";
    return kExitOk;
}

}  // namespace drover::ctl
