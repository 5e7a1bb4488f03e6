#pragma once
// droverctl token create [--push | --viewer] [--labels k=v,..] [--uses N] [--ttl 30d]
//   POST /api/v1/tokens: a registration token for new agents, with --push a
//   push token for git, with --viewer a read-only token for the API and the
//   dashboard. Table output prints only the token on stdout (for
//   REG=$(droverctl token create ...)) and a one-line summary on stderr.
// droverctl token list
//   GET /api/v1/tokens: every token, never a secret.
// droverctl token revoke ID
//   DELETE /api/v1/tokens/ID; exit 4 when there is no such token.
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tools/droverctl/command_line.h"
#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kTokenHelp;

// The arguments after "token create": --push, --viewer, --labels, --uses, --ttl.
Result<CommandArgs> parse_token_create_args(std::span<const std::string> args);

// The request body. Registration: {"labels":{..}, "uses":N, "ttl":"30d"};
// uses and ttl are omitted when not given (unlimited uses, no expiry).
// --push: {"kind":"push", "ttl":"30d"}, --viewer: {"kind":"viewer", ...};
// those have no labels or uses, so either with --labels or --uses is an
// error, as are both together. Labels, uses (a positive whole number) and
// ttl (a positive duration) are checked here.
Result<nlohmann::json> token_create_request(const CommandArgs& args);
// Checks uses (a positive whole number) and ttl (a positive duration) and
// sets them in body when given; errors name the flag they came from
// (token create's --uses/--ttl, provision's --token-uses/--token-ttl).
Result<void> add_token_limits(nlohmann::json& body, const std::optional<std::string>& uses, std::string_view uses_flag,
                              const std::optional<std::string>& ttl, std::string_view ttl_flag);
// "created registration token tok_1 (labels role=gw; 5 uses; expires ...)"
// or, when the answer's kind is "push" or "viewer",
// "created push token tok_2 (never expires)".
std::string token_summary(const nlohmann::json& created);

// The token list table: ID, KIND, CREATED, EXPIRES ("never", or the time
// and "(expired)" when it is past at now_ms), REVOKED, LABELS and USES
// (uses left; registration tokens only, "-" for the others).
std::string format_tokens(const nlohmann::json& tokens, int64_t now_ms);

int run_token(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
