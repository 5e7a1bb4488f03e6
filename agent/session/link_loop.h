#pragma once
// The libwebsockets client context that hub links run on. drover-agent has
// one link; fleetsim runs thousands on one loop, which is why the context,
// the wake-up path and the timer live here and not in each link.
//
// Threads: the thread calling run() owns the context and every link on it.
// Other threads only call poke() (through HubLink::poke) and stop(), which
// queue work and wake the loop with lws_cancel_service().
//
// Timers: one lws timer for the whole loop, not one per link (lws keeps
// timers in a sorted list with O(N) inserts). Each tick asks every link for
// its next deadline (reconnect, ping, idle hang-up) and sleeps until the
// earliest, at least kTickFloor later: O(links) per tick, a few ticks per
// second at most.
#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"

namespace drover::session {

class HubLink;

constexpr std::chrono::milliseconds kTickFloor{100};

struct LoopOptions {
    bool tls = true;
    std::string ca_file;  // required with tls: the only CA the hub may chain to
    size_t max_links = 1;
};

class LinkLoop {
public:
    static Result<std::unique_ptr<LinkLoop>> create(const LoopOptions& options);
    ~LinkLoop();
    LinkLoop(const LinkLoop&) = delete;
    LinkLoop& operator=(const LinkLoop&) = delete;

    // Serves every link until stop(). Blocks.
    void run();
    // Any thread: run() returns soon after.
    void stop();
    bool stopping() const { return stopping_; }

    lws_context* context() const { return context_; }
    // Monotonic milliseconds: the clock heartbeats and backoff run on.
    static int64_t now_ms();

    // Loop thread (or before run()): links join and leave.
    void add(HubLink* link);
    void remove(HubLink* link);
    // Any thread: the link has work (statuses to send); serve it soon.
    void poke(HubLink* link);
    // Any thread: run fn on the loop thread soon (fleetsim runs its
    // reconcilers there).
    void post(std::function<void()> fn);
    // Loop thread: a link's deadline moved earlier; make sure a tick comes.
    void deadline_changed(int64_t deadline_ms);
    // Loop thread, right before a link connects: the TLS client certificate
    // and its private key (DER) the connection presents (mTLS). lws keeps
    // one per context, read when a connection's TLS starts, so only a loop
    // of one link can hold one: false (nothing set) otherwise, or without
    // TLS. The connection asks for it with sys_tls_client_cert = 1.
    bool use_client_certificate(const std::string& certificate_der, const std::string& key_der);

private:
    LinkLoop() = default;
    static int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
    static void on_tick(lws_sorted_usec_list_t* sul);
    void tick();
    void drain_pokes();
    void schedule(int64_t deadline_ms);

    lws_context* context_ = nullptr;
    lws_protocols protocols_[2]{};
    struct Timer {
        lws_sorted_usec_list_t sul;  // first member: on_tick finds the loop from it
        LinkLoop* owner;
    } timer_{};
    int64_t scheduled_for_ = 0;  // 0: no tick scheduled
    std::vector<HubLink*> links_;
    LoopOptions options_;
    std::string client_certificate_, client_key_;  // lws points into these

    std::atomic<bool> stopping_{false};
    std::mutex poke_mutex_;
    std::vector<HubLink*> poked_;
    std::vector<std::function<void()>> posted_;
};

}  // namespace drover::session
