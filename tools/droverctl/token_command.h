#pragma once
// droverctl token create [--push] [--labels k=v,..] [--uses N] [--ttl 30d]
//   POST /api/v1/tokens: a registration token for new agents, or with --push
//   a push token for git. Table output prints only the token on stdout (for
//   REG=$(droverctl token create ...)) and a one-line summary on stderr.
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/command_line.h"
#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kTokenHelp;

// The arguments after "token create": --push, --labels, --uses, --ttl.
Result<CommandArgs> parse_token_create_args(std::span<const std::string> args);

// The request body. Registration: {"labels":{..}, "uses":N, "ttl":"30d"};
// uses and ttl are omitted when not given (unlimited uses, no expiry).
// --push: {"kind":"push", "ttl":"30d"}; a push token has no labels or uses,
// so --push with --labels or --uses is an error. Labels, uses (a positive
// whole number) and ttl (a positive duration) are checked here.
Result<nlohmann::json> token_create_request(const CommandArgs& args);
// "created registration token tok_1 (labels role=gw; 5 uses; expires ...)"
// or, when the answer's kind is "push", "created push token tok_2 (never expires)".
std::string token_summary(const nlohmann::json& created);

int run_token(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
