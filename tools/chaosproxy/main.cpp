// chaosproxy: a TCP relay that breaks links on purpose. See README.md.
#include <csignal>
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "common/fd_limit.h"
#include "common/log.h"
#include "tools/chaosproxy/options.h"
#include "tools/chaosproxy/relay.h"
#include "tools/chaosproxy/script.h"

namespace {

drover::chaosproxy::Relay* g_relay = nullptr;

void on_signal(int) {
    if (g_relay != nullptr) g_relay->stop();
}

int bad_input(const std::string& message) {
    std::fprintf(stderr, "chaosproxy: %s\n", message.c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace drover::chaosproxy;
    drover::log::set_component("chaosproxy");
    std::vector<std::string> args(argv + 1, argv + argc);
    auto options = parse_options(args);
    if (!options) return bad_input(options.error().message);
    if (options->help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    std::vector<ScriptStep> script;
    if (options->script_path) {
        auto loaded = load_script(*options->script_path);
        if (!loaded) return bad_input(loaded.error().message);
        script = std::move(*loaded);
        for (const ScriptStep& step : script) {
            const auto* chaos = std::get_if<command::SetChaos>(&step.command);
            if (chaos != nullptr && chaos->on && !options->chaos.any())
                return bad_input(step.where + ": chaos on needs --cut-every or --stall-every");
        }
    }

    // Thousands of relayed connections need twice as many descriptors.
    drover::raise_open_file_limit();
    std::signal(SIGPIPE, SIG_IGN);

    Relay relay(std::move(*options), std::move(script));
    g_relay = &relay;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    auto bound = relay.open();
    if (!bound) {
        std::fprintf(stderr, "chaosproxy: %s\n", bound.error().message.c_str());
        return 1;
    }
    std::printf("listening on %s\n", bound->listen.c_str());
    if (bound->control) std::printf("control on %s\n", bound->control->c_str());
    std::fflush(stdout);

    auto ran = relay.run();
    g_relay = nullptr;
    if (!ran) {
        std::fprintf(stderr, "chaosproxy: %s\n", ran.error().message.c_str());
        return 1;
    }
    return 0;
}
