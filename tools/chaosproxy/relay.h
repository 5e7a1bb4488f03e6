#pragma once
// The relay: one thread, one epoll set, non-blocking sockets. Each accepted
// client gets its own upstream connection; bytes are copied both ways through
// bounded per-direction queues (a side is not read while its queue holds
// 256 KiB or more), subject to the commanded or random chaos: cuts, stalls
// (bytes read and discarded, nothing closed), delay and rate.
//
// Memory: an idle connection costs two sockets and about 4 KB, most of it
// its own random stream (a 2.5 KB mt19937_64) and two empty deques; a busy
// one adds at most 2 x 320 KiB of queued bytes.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "tools/chaosproxy/options.h"
#include "tools/chaosproxy/script.h"

namespace drover::chaosproxy {

struct BoundAddresses {
    std::string listen;                  // "127.0.0.1:40123"
    std::optional<std::string> control;  // when --control was given
};

class Relay {
public:
    Relay(Options options, std::vector<ScriptStep> script);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    // Binds the listening sockets and resolves the upstream (once: a name
    // that later resolves elsewhere is not followed). Call once, before run().
    Result<BoundAddresses> open();
    // Serves until stop(); the script's clock starts here.
    Result<void> run();
    // Makes run() return soon. Safe from any thread and from a signal
    // handler.
    void stop();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace drover::chaosproxy
