#pragma once
// droverctl token create [--labels k=v,..] [--uses N] [--ttl 30d]
//   POST /api/v1/tokens. Table output prints only the token on stdout (for
//   REG=$(droverctl token create ...)) and a one-line summary on stderr.
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/command_line.h"
#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kTokenHelp;

// The request body: {"labels":{..}, "uses":N, "ttl":"30d"}; uses and ttl are
// omitted when not given (unlimited uses, no expiry). Labels, uses (a
// positive whole number) and ttl (a positive duration) are checked here.
Result<nlohmann::json> token_create_request(const CommandArgs& args);
// "created registration token tok_1 (labels role=gw; 5 uses; expires ...)"
std::string token_summary(const nlohmann::json& created);

int run_token(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
