#include "tools/chaosproxy/tests/running_proxy.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "common/text.h"
#include "tools/chaosproxy/options.h"

namespace drover::chaosproxy::testing {

uint16_t port_of(const std::string& address) {
    auto port = parse_u64(address.substr(address.rfind(':') + 1));
    if (!port || *port == 0 || *port > 65535) throw std::runtime_error("no port in " + address);
    return static_cast<uint16_t>(*port);
}

RunningProxy::RunningProxy(uint16_t upstream_port, std::vector<std::string> extra_args) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--upstream", cat("127.0.0.1:", upstream_port),
                                  "--control", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto options = parse_options(args);
    if (!options) throw std::runtime_error(options.error().message);
    relay_ = std::make_unique<Relay>(std::move(*options), std::vector<ScriptStep>{});
    auto bound = relay_->open();
    if (!bound) throw std::runtime_error(bound.error().message);
    port_ = port_of(bound->listen);
    control_port_ = port_of(bound->control.value());
    thread_ = std::thread([this] {
        auto ran = relay_->run();
        if (!ran) throw std::runtime_error(ran.error().message);  // terminates the test run: a broken loop
    });
    control_ = std::make_unique<TestClient>(control_port_);
}

RunningProxy::~RunningProxy() {
    relay_->stop();
    thread_.join();
}

std::string RunningProxy::command(const std::string& line) {
    control_->send(line + "\n");
    while (true) {
        size_t newline = control_input_.find('\n');
        if (newline != std::string::npos) {
            std::string answer = control_input_.substr(0, newline);
            control_input_.erase(0, newline + 1);
            return answer;
        }
        std::string more = control_->receive_some(milliseconds(10'000));
        if (more.empty()) throw std::runtime_error("no answer to control command " + drover::quoted(line));
        control_input_ += more;
    }
}

uint64_t RunningProxy::stat(const std::string& name) {
    std::string answer = command("stats");
    if (!answer.starts_with("ok ")) throw std::runtime_error("stats answered " + drover::quoted(answer));
    auto json = nlohmann::json::parse(answer.substr(3));
    return json.at(name).get<uint64_t>();
}

}  // namespace drover::chaosproxy::testing
