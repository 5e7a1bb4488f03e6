#include "tools/droverctl/revoke_command.h"

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

int run_revoke(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "revoke");
    if (parsed->positionals.size() != 1)
        return ctx.usage_error(parsed->positionals.empty() ? "revoke needs an agent name" : "revoke takes one agent name",
                               "revoke");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    const std::string& name = parsed->positionals.front();
    auto revoked = client->post(cat("/api/v1/agents/", escape_path_segment(name), "/revoke"), json::object());
    if (!revoked) return ctx.api_failure(revoked.error());
    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json(*revoked);
        return kExitOk;
    }
    std::string shown = text_field(*revoked, "name");
    ctx.out << "revoked agent " << printable(shown.empty() ? name : shown)
            << ": its session is closed and the hub refuses it from now on\n";
    return kExitOk;
}

}  // namespace drover::ctl
