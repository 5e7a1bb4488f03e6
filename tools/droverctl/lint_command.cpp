#include "tools/droverctl/lint_command.h"

#include <ostream>

#include "common/text.h"
#include "hub/render/read_directory.h"
#include "tools/droverctl/table.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kLintHelp =
    "Usage: droverctl lint PATH\n"
    "\n"
    "Checks a fleet repository checkout with the hub's renderer: every problem\n"
    "that would make the hub refuse a push is printed as file:line: message\n"
    "(exit 1); otherwise \"ok: N bundles\" (exit 0). No hub is needed.\n";

const char* const kRenderHelp =
    "Usage: droverctl render PATH [--labels k=v,...] [--name AGENT]\n"
    "\n"
    "Shows which bundles of a fleet repository checkout target an agent with\n"
    "these labels (and name, for `agents:` targets), and the spec each one\n"
    "would send it. No hub is needed.\n"
    "\n"
    "  droverctl render ./fleet --labels role=gateway,ring=canary --name edge-1\n";

namespace {

using RenderResult = std::expected<render::Fleet, std::vector<render::Problem>>;

std::string plural(size_t n, const char* one, const char* many) { return cat(n, " ", n == 1 ? one : many); }

// Reads and renders PATH; on failure prints what is wrong and sets exit_code.
std::optional<RenderResult> load(const Context& ctx, const std::string& path, int& exit_code) {
    auto files = render::read_directory(path);
    if (!files) {
        exit_code = ctx.failure(files.error().message);
        return std::nullopt;
    }
    return render::render_fleet(*files);
}

void print_problems(const Context& ctx, const std::vector<render::Problem>& problems) {
    for (const auto& p : problems) ctx.out << printable(p.to_string()) << "\n";
}

json spec_document(const render::Spec& spec) {
    json doc = json::parse(spec.json, nullptr, false);
    return doc.is_discarded() ? json(spec.json) : doc;
}

}  // namespace

std::vector<RenderedBundle> bundles_for_agent(const render::Fleet& fleet, const Labels& labels, std::string_view name) {
    std::vector<RenderedBundle> out;
    for (const auto& bundle : fleet.bundles) {
        const render::Spec* spec = bundle.spec_for(labels, name, fleet.groups);
        if (spec != nullptr) out.push_back({bundle.name, spec->customization, spec});
    }
    return out;
}

json lint_json(const RenderResult& result) {
    if (result) {
        json names = json::array();
        for (const auto& b : result->bundles) names.push_back(b.name);
        return {{"ok", true}, {"bundles", names}};
    }
    json problems = json::array();
    for (const auto& p : result.error())
        problems.push_back({{"file", p.file}, {"line", p.line}, {"message", p.message}});
    return {{"ok", false}, {"problems", problems}};
}

json render_json(const std::vector<RenderedBundle>& bundles, const Labels& labels, std::string_view name) {
    json list = json::array();
    for (const auto& b : bundles) {
        list.push_back({{"bundle", b.bundle},
                        {"customization", b.customization.empty() ? json(nullptr) : json(b.customization)},
                        {"digest", hex_encode(b.spec->digest)},
                        {"spec", spec_document(*b.spec)}});
    }
    return {{"agent", {{"name", name}, {"labels", labels}}}, {"bundles", list}};
}

int run_lint(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "lint");
    if (parsed->positionals.size() != 1) return ctx.usage_error("lint needs exactly one PATH", "lint");
    int code = kExitOk;
    auto result = load(ctx, parsed->positionals.front(), code);
    if (!result) return code;
    if (ctx.options.output == OutputFormat::json) ctx.print_json(lint_json(*result));
    else if (*result) ctx.out << "ok: " << plural((*result)->bundles.size(), "bundle", "bundles") << "\n";
    else print_problems(ctx, result->error());
    return *result ? kExitOk : kExitHubFailed;
}

int run_render(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {"--labels", "--name"});
    if (!parsed) return ctx.usage_error(parsed.error().message, "render");
    if (parsed->positionals.size() != 1) return ctx.usage_error("render needs exactly one PATH", "render");
    auto labels = parse_labels(parsed->value("--labels").value_or(""));
    if (!labels) return ctx.usage_error(labels.error().message, "render");
    std::string name = parsed->value("--name").value_or("");

    int code = kExitOk;
    auto result = load(ctx, parsed->positionals.front(), code);
    if (!result) return code;
    if (!*result) {
        if (ctx.options.output == OutputFormat::json) ctx.print_json(lint_json(*result));
        else print_problems(ctx, result->error());
        return kExitHubFailed;
    }
    auto bundles = bundles_for_agent(**result, *labels, name);
    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json(render_json(bundles, *labels, name));
        return kExitOk;
    }
    std::string who = cat(name.empty() ? std::string("an agent") : "agent " + name, " with labels ",
                          labels->empty() ? std::string("(none)") : format_labels(*labels));
    if (bundles.empty()) {
        ctx.out << "No bundle targets " << printable(who) << ".\n";
        return kExitOk;
    }
    ctx.out << plural(bundles.size(), "bundle targets ", "bundles target ") << printable(who) << ":\n";
    Table table({"BUNDLE", "CUSTOMIZATION", "OBJECTS", "DIGEST"});
    for (const auto& b : bundles)
        table.add_row({b.bundle, b.customization.empty() ? "-" : b.customization, cat(b.spec->objects),
                       hex_encode(b.spec->digest).substr(0, 12)});
    ctx.out << table.render();
    for (const auto& b : bundles) {
        ctx.out << "\n# " << printable(b.bundle) << (b.customization.empty() ? "" : " (" + printable(b.customization) + ")")
                << "\n";
        ctx.print_json(spec_document(*b.spec));
    }
    return kExitOk;
}

}  // namespace drover::ctl
