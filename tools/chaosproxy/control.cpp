#include "tools/chaosproxy/control.h"

#include <string>
#include <vector>

#include "common/text.h"
#include "tools/chaosproxy/quantities.h"

namespace drover::chaosproxy {
namespace {

constexpr const char* kCommands = "cut, stall, resume, delay D, rate R|off, chaos on|off, refuse on|off, stats";

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

Result<bool> on_off(std::string_view name, const std::vector<std::string_view>& w) {
    if (w.size() != 2 || (w[1] != "on" && w[1] != "off")) return fail(cat(name, " takes one argument: on or off"));
    return w[1] == "on";
}

}  // namespace

Result<Command> parse_command(std::string_view line) {
    auto w = words(trim(line));
    if (w.empty()) return fail(cat("empty command (one of: ", kCommands, ")"));
    std::string_view name = w[0];
    auto no_arguments = [&](Command c) -> Result<Command> {
        if (w.size() != 1) return fail(cat(name, " takes no arguments"));
        return c;
    };
    if (name == "cut") return no_arguments(command::Cut{});
    if (name == "stall") return no_arguments(command::Stall{});
    if (name == "resume") return no_arguments(command::Resume{});
    if (name == "stats") return no_arguments(command::Stats{});
    if (name == "delay") {
        if (w.size() != 2) return fail("delay takes one duration, e.g. delay 50ms (delay 0ms: none)");
        auto ms = parse_duration(w[1]);
        if (!ms) return std::unexpected(ms.error());
        return command::SetDelay{*ms};
    }
    if (name == "rate") {
        if (w.size() != 2) return fail("rate takes one argument: bytes per second (e.g. 64KiB) or off");
        if (w[1] == "off") return command::SetRate{0};
        auto rate = parse_rate(w[1]);
        if (!rate) return std::unexpected(rate.error());
        return command::SetRate{*rate};
    }
    if (name == "chaos") {
        auto on = on_off(name, w);
        if (!on) return std::unexpected(on.error());
        return command::SetChaos{*on};
    }
    if (name == "refuse") {
        auto on = on_off(name, w);
        if (!on) return std::unexpected(on.error());
        return command::SetRefuse{*on};
    }
    return fail(cat("unknown command ", quoted(name), " (one of: ", kCommands, ")"));
}

}  // namespace drover::chaosproxy
