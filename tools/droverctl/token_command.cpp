#include "tools/droverctl/token_command.h"

#include <ostream>

#include "common/labels.h"
#include "common/text.h"
#include "tools/droverctl/json_fields.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kTokenHelp =
    "Usage: droverctl token create [--push] [--labels k=v,...] [--uses N] [--ttl DURATION]\n"
    "\n"
    "Creates a token (POST /api/v1/tokens): a registration token for new agents,\n"
    "or with --push a push token for git.\n"
    "\n"
    "  --push            a push token: lets git push to the hub's repository\n"
    "                    (takes --ttl; --labels and --uses are for registration tokens)\n"
    "  --labels k=v,...  labels every agent registering with this token gets\n"
    "  --uses N          how many agents may register with it (default: unlimited)\n"
    "  --ttl DURATION    how long it stays valid: 30d, 12h, 15m, 45s (default: forever)\n"
    "\n"
    "With -o table (the default) only the token is printed on stdout, so\n"
    "  REG=$(droverctl token create --labels role=gateway --uses 10)\n"
    "  PUSH=$(droverctl token create --push --ttl 30d)\n"
    "captures it; a summary goes to stderr. -o json prints the hub's answer.\n"
    "\n"
    "git sends a push token as the password (any user name), or as a header:\n"
    "  git -c http.extraHeader=\"Authorization: Bearer $PUSH\" push https://HUB/git/fleet.git main\n";

Result<CommandArgs> parse_token_create_args(std::span<const std::string> args) {
    return parse_args(args, {"--labels", "--uses", "--ttl"}, {"--push"});
}

Result<json> token_create_request(const CommandArgs& args) {
    if (!args.positionals.empty()) return fail(cat("unexpected argument ", quoted(args.positionals.front())));
    bool push = args.has("--push");
    json body = json::object();
    if (push) {
        for (const char* registration_only : {"--labels", "--uses"}) {
            if (args.value(registration_only))
                return fail(cat("--push cannot be combined with ", registration_only,
                                ": labels and uses are for registration tokens, not push tokens"));
        }
        body["kind"] = "push";
    } else {
        auto labels = parse_labels(args.value("--labels").value_or(""));
        if (!labels) return std::unexpected(labels.error());
        body["labels"] = *labels;
    }
    if (auto uses = args.value("--uses")) {
        auto n = parse_u64(*uses);
        if (!n || *n == 0 || *n > static_cast<uint64_t>(INT64_MAX))
            return fail(cat("--uses ", quoted(*uses), ": must be a whole number of at least 1"));
        body["uses"] = static_cast<int64_t>(*n);
    }
    if (auto ttl = args.value("--ttl")) {
        auto ms = parse_duration_ms(*ttl);
        if (!ms || *ms <= 0) return fail(cat("--ttl ", quoted(*ttl), ": use a duration like 30d, 12h, 15m or 45s"));
        body["ttl"] = *ttl;
    }
    return body;
}

std::string token_summary(const json& created) {
    std::string expires = text_field(created, "expires_at");
    std::string expiry = expires.empty() ? std::string("never expires") : "expires " + expires;
    if (text_field(created, "kind") == "push")
        return cat("created push token ", text_field(created, "id"), " (", expiry, ")");
    std::string labels = labels_text(object_field(created, "labels"));
    int64_t uses = int_field(created, "uses");
    return cat("created registration token ", text_field(created, "id"), " (labels ",
               labels.empty() ? std::string("none") : labels, "; ",
               uses > 0 ? cat(uses, uses == 1 ? " use" : " uses") : std::string("unlimited uses"), "; ", expiry, ")");
}

int run_token(const Context& ctx, std::span<const std::string> args) {
    if (args.empty()) return ctx.usage_error("token needs a subcommand: create", "token");
    if (args.front() != "create") return ctx.usage_error(cat("unknown token subcommand ", quoted(args.front())), "token");
    auto parsed = parse_token_create_args(args.subspan(1));
    if (!parsed) return ctx.usage_error(parsed.error().message, "token create");
    auto body = token_create_request(*parsed);
    if (!body) return ctx.usage_error(body.error().message, "token create");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    auto created = client->post("/api/v1/tokens", *body);
    if (!created) return ctx.api_failure(created.error());
    // A hub older than push tokens ignores "kind" and makes a registration
    // token; handing that out as a push token would fail only at git push.
    if (parsed->has("--push") && text_field(*created, "kind") != "push")
        return ctx.failure(cat("hub created token ", quoted(text_field(*created, "id")),
                               ", which is not a push token: this hub predates push tokens"));
    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json(*created);
        return kExitOk;
    }
    std::string token = text_field(*created, "token");
    if (token.empty()) return ctx.failure("hub answered POST /api/v1/tokens without a token");
    ctx.out << token << "\n";
    ctx.err << token_summary(*created) << "\n";
    return kExitOk;
}

}  // namespace drover::ctl
