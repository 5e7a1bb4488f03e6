#pragma once
// The relay running in-process on its own thread, with a control connection
// open to it. The constructor returns once both sockets listen.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tools/chaosproxy/relay.h"
#include "tools/chaosproxy/tests/test_client.h"

namespace drover::chaosproxy::testing {

class RunningProxy {
public:
    // extra_args are chaosproxy flags besides --listen, --upstream, --control.
    RunningProxy(uint16_t upstream_port, std::vector<std::string> extra_args = {});
    ~RunningProxy();
    RunningProxy(const RunningProxy&) = delete;
    RunningProxy& operator=(const RunningProxy&) = delete;

    uint16_t port() const { return port_; }
    uint16_t control_port() const { return control_port_; }
    // Sends one control line and returns the answer line (without "\n").
    std::string command(const std::string& line);
    // One counter from "stats".
    uint64_t stat(const std::string& name);

private:
    std::unique_ptr<Relay> relay_;
    std::thread thread_;
    uint16_t port_ = 0;
    uint16_t control_port_ = 0;
    std::unique_ptr<TestClient> control_;
    std::string control_input_;
};

// The port of "ADDR:PORT".
uint16_t port_of(const std::string& address);

}  // namespace drover::chaosproxy::testing
