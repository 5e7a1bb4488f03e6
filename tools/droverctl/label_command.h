#pragma once
// droverctl label AGENT k=v k2- ...: set and remove an agent's operator
// labels (PATCH /api/v1/agents/AGENT/labels). The hub re-targets the agent
// at once.
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kLabelHelp;

// "k=v" sets, "k-" removes. Checked with drover::validate_label before any
// request; a key both set and removed, or given twice, is an error.
// -> {"set":{"k":"v"},"remove":["k2"]}
Result<nlohmann::json> label_request(std::span<const std::string> changes);

int run_label(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
