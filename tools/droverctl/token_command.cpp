#include "tools/droverctl/token_command.h"

#include <ostream>

#include "common/labels.h"
#include "common/text.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/table.h"
#include "tools/droverctl/time_text.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kTokenHelp =
    "Usage: droverctl token create [--push | --viewer] [--labels k=v,...] [--uses N] [--ttl DURATION]\n"
    "       droverctl token list\n"
    "       droverctl token revoke ID\n"
    "\n"
    "create makes a token (POST /api/v1/tokens): a registration token for new\n"
    "agents, with --push a push token for git, with --viewer a read-only token\n"
    "for the REST API and the dashboard.\n"
    "\n"
    "  --push            a push token: lets git push to the hub's repository\n"
    "                    (takes --ttl; --labels and --uses are for registration tokens)\n"
    "  --viewer          a viewer token: may read (GET) the API, change nothing\n"
    "                    (takes --ttl)\n"
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
    "  git -c http.extraHeader=\"Authorization: Bearer $PUSH\" push https://HUB/git/fleet.git main\n"
    "\n"
    "list shows every token (never its secret): ID, KIND, CREATED, EXPIRES,\n"
    "REVOKED, LABELS and USES left (registration tokens).\n"
    "revoke ID stops a token from working at once: agents can no longer register\n"
    "with it, git can no longer push with it, a viewer can no longer read. Agents\n"
    "that registered with it keep their own credentials (droverctl revoke AGENT).\n"
    "Exit 4 when there is no token with that id.\n";

Result<CommandArgs> parse_token_create_args(std::span<const std::string> args) {
    return parse_args(args, {"--labels", "--uses", "--ttl"}, {"--push", "--viewer"});
}

Result<void> add_token_limits(json& body, const std::optional<std::string>& uses, std::string_view uses_flag,
                              const std::optional<std::string>& ttl, std::string_view ttl_flag) {
    if (uses) {
        auto n = parse_u64(*uses);
        if (!n || *n == 0 || *n > static_cast<uint64_t>(INT64_MAX))
            return fail(cat(uses_flag, " ", quoted(*uses), ": must be a whole number of at least 1"));
        body["uses"] = static_cast<int64_t>(*n);
    }
    if (ttl) {
        auto ms = parse_duration_ms(*ttl);
        if (!ms || *ms <= 0) return fail(cat(ttl_flag, " ", quoted(*ttl), ": use a duration like 30d, 12h, 15m or 45s"));
        body["ttl"] = *ttl;
    }
    return {};
}

Result<json> token_create_request(const CommandArgs& args) {
    if (!args.positionals.empty()) return fail(cat("unexpected argument ", quoted(args.positionals.front())));
    bool push = args.has("--push"), viewer = args.has("--viewer");
    if (push && viewer) return fail("--push and --viewer ask for different tokens: give one");
    json body = json::object();
    if (push || viewer) {
        const char* kind = push ? "push" : "viewer";
        for (const char* registration_only : {"--labels", "--uses"}) {
            if (args.value(registration_only))
                return fail(cat("--", kind, " cannot be combined with ", registration_only,
                                ": labels and uses are for registration tokens, not ", kind, " tokens"));
        }
        body["kind"] = kind;
    } else {
        auto labels = parse_labels(args.value("--labels").value_or(""));
        if (!labels) return std::unexpected(labels.error());
        body["labels"] = *labels;
    }
    if (auto ok = add_token_limits(body, args.value("--uses"), "--uses", args.value("--ttl"), "--ttl"); !ok)
        return std::unexpected(ok.error());
    return body;
}

std::string token_summary(const json& created) {
    std::string expires = text_field(created, "expires_at");
    std::string expiry = expires.empty() ? std::string("never expires") : "expires " + expires;
    std::string kind = text_field(created, "kind");
    if (kind == "push" || kind == "viewer")
        return cat("created ", kind, " token ", text_field(created, "id"), " (", expiry, ")");
    std::string labels = labels_text(object_field(created, "labels"));
    int64_t uses = int_field(created, "uses");
    return cat("created registration token ", text_field(created, "id"), " (labels ",
               labels.empty() ? std::string("none") : labels, "; ",
               uses > 0 ? cat(uses, uses == 1 ? " use" : " uses") : std::string("unlimited uses"), "; ", expiry, ")");
}

std::string format_tokens(const json& tokens, int64_t now_ms) {
    Table table({"ID", "KIND", "CREATED", "EXPIRES", "REVOKED", "LABELS", "USES"});
    for (const json& t : tokens) {
        std::string kind = text_field(t, "kind");
        std::string expires = text_field(t, "expires_at");
        if (expires.empty()) expires = "never";
        else if (auto at = parse_rfc3339_ms(expires); at && *at <= now_ms) expires += " (expired)";
        bool registration = kind.empty() || kind == "registration";
        std::string uses = "-";
        if (registration) {
            auto it = t.find("uses_left");
            uses = it != t.end() && it->is_number_integer() ? cat(it->get<int64_t>(), " left") : "unlimited";
        }
        table.add_row({text_field(t, "id"), kind.empty() ? "registration" : kind, text_field(t, "created_at"), expires,
                       bool_field(t, "revoked") ? "yes" : "no", labels_text(object_field(t, "labels")), uses});
    }
    return table.render();
}

namespace {

int run_token_create(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_token_create_args(args);
    if (!parsed) return ctx.usage_error(parsed.error().message, "token create");
    auto body = token_create_request(*parsed);
    if (!body) return ctx.usage_error(body.error().message, "token create");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    auto created = client->post("/api/v1/tokens", *body);
    if (!created) return ctx.api_failure(created.error());
    // A hub older than push (or viewer) tokens ignores "kind" and makes a
    // registration token; handing that out would fail only when used.
    std::string wanted = text_field(*body, "kind");
    if (!wanted.empty() && text_field(*created, "kind") != wanted)
        return ctx.failure(cat("hub created token ", quoted(text_field(*created, "id")), ", which is not a ", wanted,
                               " token: this hub predates ", wanted, " tokens"));
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

int run_token_list(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "token");
    if (!parsed->positionals.empty())
        return ctx.usage_error(cat("unexpected argument ", quoted(parsed->positionals.front())), "token");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    auto tokens = client->get("/api/v1/tokens");
    if (!tokens) return ctx.api_failure(tokens.error());
    if (!tokens->is_array()) return ctx.failure("hub answered GET /api/v1/tokens with something other than an array");
    if (ctx.options.output == OutputFormat::json) ctx.print_json(*tokens);
    else if (tokens->empty()) ctx.out << "No tokens yet (droverctl token create).\n";
    else ctx.out << format_tokens(*tokens, ctx.now_ms);
    return kExitOk;
}

int run_token_revoke(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "token");
    if (parsed->positionals.size() != 1)
        return ctx.usage_error(parsed->positionals.empty() ? "token revoke needs a token id (droverctl token list)"
                                                           : "token revoke takes one token id",
                               "token");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    const std::string& id = parsed->positionals.front();
    auto revoked = client->del("/api/v1/tokens/" + escape_path_segment(id));
    if (!revoked) return ctx.api_failure(revoked.error());
    if (ctx.options.output == OutputFormat::json) ctx.print_json(*revoked);
    else ctx.out << "revoked token " << printable(id) << "\n";
    return kExitOk;
}

}  // namespace

int run_token(const Context& ctx, std::span<const std::string> args) {
    if (args.empty()) return ctx.usage_error("token needs a subcommand: create, list or revoke", "token");
    if (args.front() == "create") return run_token_create(ctx, args.subspan(1));
    if (args.front() == "list") return run_token_list(ctx, args.subspan(1));
    if (args.front() == "revoke") return run_token_revoke(ctx, args.subspan(1));
    return ctx.usage_error(cat("unknown token subcommand ", quoted(args.front()), ": use create, list or revoke"),
                           "token");
}

}  // namespace drover::ctl
