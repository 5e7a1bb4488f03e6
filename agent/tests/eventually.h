#pragma once
// Polls until pred holds or the deadline passes; tests wait on conditions,
// never on bare sleeps.
#include <chrono>
#include <functional>
#include <thread>

namespace drover::testing {

inline bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

}  // namespace drover::testing
