#include "tools/droverctl/label_command.h"

#include <ostream>
#include <set>

#include "common/labels.h"
#include "common/text.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/table.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kLabelHelp =
    "Usage: droverctl label AGENT KEY=VALUE... KEY-...\n"
    "\n"
    "Sets (KEY=VALUE) and removes (KEY-) labels on an agent. Bundles whose\n"
    "targets now match, or no longer match, are deployed or removed at once.\n"
    "\n"
    "  droverctl label edge-1 ring=canary region=eu-west old-\n";

Result<json> label_request(std::span<const std::string> changes) {
    if (changes.empty()) return fail("no label changes given: use KEY=VALUE to set, KEY- to remove");
    json set = json::object();
    json remove = json::array();
    std::set<std::string> seen;
    for (const std::string& change : changes) {
        auto eq = change.find('=');
        std::string key;
        if (eq != std::string::npos) {
            key = change.substr(0, eq);
            std::string value = change.substr(eq + 1);
            if (auto ok = validate_label(key, value); !ok) return std::unexpected(ok.error());
            set[key] = value;
        } else if (!change.empty() && change.back() == '-') {
            key = change.substr(0, change.size() - 1);
            if (auto ok = validate_label(key, ""); !ok) return std::unexpected(ok.error());
            remove.push_back(key);
        } else {
            return fail(cat("label change ", quoted(change), ": use KEY=VALUE to set or KEY- to remove"));
        }
        if (!seen.insert(key).second) return fail(cat("label ", quoted(key), " is changed twice"));
    }
    return json{{"set", set}, {"remove", remove}};
}

int run_label(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "label");
    const auto& pos = parsed->positionals;
    if (pos.empty()) return ctx.usage_error("label needs an agent name and label changes", "label");
    auto body = label_request(std::span<const std::string>(pos).subspan(1));
    if (!body) return ctx.usage_error(body.error().message, "label");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    auto result = client->patch(cat("/api/v1/agents/", escape_path_segment(pos.front()), "/labels"), *body);
    if (!result) return ctx.api_failure(result.error());
    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json(*result);
        return kExitOk;
    }
    std::string labels = labels_text(object_field(*result, "labels"));
    std::string name = text_field(*result, "name");
    ctx.out << printable(name.empty() ? pos.front() : name) << " labels: " << (labels.empty() ? "(none)" : printable(labels))
            << "\n";
    return kExitOk;
}

}  // namespace drover::ctl
