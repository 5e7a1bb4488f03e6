#include "tools/droverctl/command_line.h"

#include <algorithm>

#include "common/text.h"

namespace drover::ctl {

namespace {

// Splits "--name=value" into its parts; otherwise value is nullopt.
std::pair<std::string, std::optional<std::string>> split_inline_value(const std::string& arg) {
    if (!starts_with(arg, "--")) return {arg, std::nullopt};
    auto eq = arg.find('=');
    if (eq == std::string::npos) return {arg, std::nullopt};
    return {arg.substr(0, eq), arg.substr(eq + 1)};
}

Result<OutputFormat> parse_output(std::string_view v) {
    if (v == "table") return OutputFormat::table;
    if (v == "json") return OutputFormat::json;
    return fail(cat("output format ", quoted(v), ": use table or json"));
}

}  // namespace

Result<GlobalOptions> parse_global_options(const std::vector<std::string>& args, const EnvLookup& env) {
    GlobalOptions g;
    std::optional<std::string> hub, token, ca;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            g.command.insert(g.command.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
            break;
        }
        auto [name, inline_value] = split_inline_value(arg);
        if (starts_with(arg, "-o") && arg.size() > 2 && arg != "-o") {  // -ojson
            name = "-o";
            inline_value = arg.substr(2);
        }
        bool takes_value = name == "--hub" || name == "--token" || name == "--ca" || name == "--timeout" ||
                           name == "-o" || name == "--output";
        if (!takes_value) {
            if (arg == "--help" || arg == "-h") g.help = true;
            else if (arg == "--version") g.version = true;
            else g.command.push_back(arg);
            continue;
        }
        std::string value;
        if (inline_value) {
            value = *inline_value;
        } else {
            if (i + 1 >= args.size()) return fail(cat(name, " needs a value"));
            value = args[++i];
        }
        if (name == "--hub") hub = value;
        else if (name == "--token") token = value;
        else if (name == "--ca") ca = value;
        else if (name == "--timeout") {
            auto ms = parse_duration_ms(value);
            if (!ms || *ms <= 0) return fail(cat("--timeout ", quoted(value), ": use a duration like 30s or 500ms"));
            g.timeout_ms = *ms;
        } else {
            auto out = parse_output(value);
            if (!out) return std::unexpected(out.error());
            g.output = *out;
        }
    }
    auto from_env = [&env](std::optional<std::string>& flag, const char* var) {
        if (flag) return *flag;
        auto v = env ? env(var) : std::nullopt;
        return v.value_or("");
    };
    g.hub = from_env(hub, "DROVER_HUB");
    g.token = from_env(token, "DROVER_TOKEN");
    g.ca = from_env(ca, "DROVER_CA");
    // "--" is only a separator for global parsing; the command sees what follows.
    if (!g.command.empty() && g.command.front() == "--") g.command.erase(g.command.begin());
    return g;
}

bool CommandArgs::has(std::string_view flag) const {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::optional<std::string> CommandArgs::value(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
}

Result<CommandArgs> parse_args(std::span<const std::string> args, std::initializer_list<std::string_view> value_options,
                               std::initializer_list<std::string_view> flag_options) {
    auto known = [](std::initializer_list<std::string_view> list, std::string_view name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    CommandArgs out;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            out.positionals.insert(out.positionals.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                   args.end());
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            out.positionals.push_back(arg);
            continue;
        }
        auto [name, inline_value] = split_inline_value(arg);
        if (name == "-h" || name == "--help") name = "--help";
        if (name == "--help" || known(flag_options, name)) {
            if (inline_value) return fail(cat(name, " takes no value"));
            if (!out.has(name)) out.flags.push_back(name);
            continue;
        }
        if (!known(value_options, name)) return fail(cat("unknown option ", quoted(name)));
        if (out.values.count(name)) return fail(cat(name, " given twice"));
        if (inline_value) {
            out.values[name] = *inline_value;
        } else {
            if (i + 1 >= args.size()) return fail(cat(name, " needs a value"));
            out.values[name] = args[++i];
        }
    }
    return out;
}

}  // namespace drover::ctl
