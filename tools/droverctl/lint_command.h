#pragma once
// Local commands over a fleet repository checkout, with the hub's own
// renderer (hub/render), so an operator sees before `git push` what the hub
// would refuse or deploy. They need no hub.
//
// droverctl lint PATH
//   Each problem as "file:line: message" (paths relative to PATH, as the hub
//   reports them on push) and exit 1; otherwise "ok: N bundles".
// droverctl render PATH [--labels k=v,..] [--name AGENT]
//   Which bundles target an agent with these labels (and name), and the
//   spec each would send it, as pretty JSON.
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "common/labels.h"
#include "hub/render/render.h"
#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kLintHelp;
extern const char* const kRenderHelp;

// One bundle as the agent would get it.
struct RenderedBundle {
    std::string bundle;
    std::string customization;  // "" for the default spec
    const render::Spec* spec;
};

// The bundles of fleet that target an agent with these labels and name, in
// the fleet's (name) order.
std::vector<RenderedBundle> bundles_for_agent(const render::Fleet& fleet, const Labels& labels, std::string_view name);

// -o json forms.
nlohmann::json lint_json(const std::expected<render::Fleet, std::vector<render::Problem>>& result);
nlohmann::json render_json(const std::vector<RenderedBundle>& bundles, const Labels& labels, std::string_view name);

int run_lint(const Context& ctx, std::span<const std::string> args);
int run_render(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
