#pragma once
// droverctl's command line: global options (anywhere before "--"), then a
// command and its own arguments. Pure functions: the environment is passed
// in, nothing is printed.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace drover::ctl {

enum class OutputFormat { table, json };

// Reads one environment variable; nullopt (or empty) when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

struct GlobalOptions {
    std::string hub;    // --hub, else DROVER_HUB
    std::string token;  // --token, else DROVER_TOKEN
    std::string ca;     // --ca, else DROVER_CA
    int64_t timeout_ms = 30'000;  // --timeout 30s
    OutputFormat output = OutputFormat::table;  // -o table|json
    bool help = false;
    bool version = false;
    std::vector<std::string> command;  // the command word(s) and their arguments
};

// Global options: --hub URL, --token T, --ca FILE, --timeout DURATION,
// -o/--output table|json (also --hub=URL, -ojson), -h/--help, --version.
// Flags win over the environment. Anything else is left, in order, in
// `command` for the command to parse; "--" ends global option parsing.
Result<GlobalOptions> parse_global_options(const std::vector<std::string>& args, const EnvLookup& env);

// A command's own arguments after parse_args: options that take a value
// (--name VALUE or --name=VALUE), boolean flags, and positionals.
struct CommandArgs {
    std::map<std::string, std::string> values;  // "--labels" -> "role=gw"
    std::vector<std::string> flags;             // "--help"
    std::vector<std::string> positionals;
    bool has(std::string_view flag) const;
    std::optional<std::string> value(const std::string& name) const;
};

// value_options and flag_options name every option the command knows
// ("--labels"); "-h" and "--help" are always known and reported as "--help".
// Unknown options, missing values and repeated options are errors; "--" makes
// the rest positional.
Result<CommandArgs> parse_args(std::span<const std::string> args, std::initializer_list<std::string_view> value_options,
                               std::initializer_list<std::string_view> flag_options = {});

}  // namespace drover::ctl
