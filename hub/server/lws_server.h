#pragma once
// The hub's one event loop: libwebsockets serving the agent link
// (wss://HOST:PORT/v1/agent, subprotocol "drover.v1") and the HTTP API on the
// same port. Only the loop thread touches lws and the Fleet; other threads
// hand work over with post(), which wakes the loop.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/error.h"
#include "hub/server/event_feed.h"
#include "hub/server/fleet.h"
#include "hub/server/http_message.h"

struct lws;
struct lws_context;
struct lws_sorted_usec_list;

namespace drover::hub {

struct ListenOptions {
    std::string host = "127.0.0.1";
    int port = 8443;  // 0: pick a free port (see LwsServer::port())
    bool tls = true;
    std::string cert_path;
    std::string key_path;
    // mTLS (serve --client-certs): the CA (PEM file) that client
    // certificates must chain to. Clients may still connect without one
    // (browsers, droverctl, agents not issued one yet); one that does not
    // verify fails the handshake. Empty: no client certificates are asked for.
    std::string client_ca_path;
    // A session the hub has received nothing from for this long is dropped
    // (half-open TCP: the device vanished without a FIN) and its agent shown
    // offline. Agents are asked in Welcome to ping every third of it.
    std::chrono::milliseconds idle_timeout{180'000};
};

class WsConnection;
class GitEndpoint;

class LwsServer {
public:
    LwsServer(Fleet& fleet, ListenOptions options);
    ~LwsServer();
    LwsServer(const LwsServer&) = delete;
    LwsServer& operator=(const LwsServer&) = delete;

    Result<void> start();
    int port() const { return port_; }
    // Serve until stop() is called (from any thread or a signal handler).
    void run();
    void stop();
    // Run fn on the loop thread. Thread-safe.
    void post(std::function<void()> fn);

    Fleet& fleet() { return fleet_; }
    EventFeed& feed() { return feed_; }
    const ListenOptions& options() const { return options_; }
    void drain_posted();
    // Agent connections, for the idle sweep. Loop thread only.
    void add_connection(WsConnection* c) { connections_.insert(c); }
    void remove_connection(WsConnection* c) { connections_.erase(c); }

    // The Git remote at /git/ and the webhook at /api/v1/hooks/git, when
    // the hub serves them. Set before start().
    void set_git(GitEndpoint* git) { git_ = git; }
    GitEndpoint* git() const { return git_; }
    using Webhook = std::function<HttpResponse(const HttpRequest&)>;
    void set_webhook(Webhook hook) { webhook_ = std::move(hook); }
    const Webhook& webhook() const { return webhook_; }
    // HTTP responses prepared off the loop: an id for the connection
    // waiting, then deliver() on the loop thread. A connection that closed
    // meanwhile is forgotten and its response dropped.
    uint64_t await_response(lws* wsi);
    void deliver(uint64_t id, HttpResponse response);
    void forget_response(uint64_t id) { awaiting_.erase(id); }

private:
    struct Timer;
    static void on_sweep(::lws_sorted_usec_list* sul);
    static void on_feed_tick(::lws_sorted_usec_list* sul);
    void sweep_idle();
    void schedule(Timer& timer, std::chrono::milliseconds after);

    Fleet& fleet_;
    ListenOptions options_;
    lws_context* context_ = nullptr;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::mutex posted_mutex_;
    std::vector<std::function<void()>> posted_;
    std::unordered_set<WsConnection*> connections_;
    GitEndpoint* git_ = nullptr;
    Webhook webhook_;
    uint64_t next_exchange_id_ = 0;
    std::unordered_map<uint64_t, lws*> awaiting_;
    EventFeed feed_;
    std::unique_ptr<Timer> sweep_;      // drops dead agent links
    std::unique_ptr<Timer> feed_tick_;  // feeds live event streams; steps rollouts every other tick
    unsigned feed_ticks_ = 0;
};

}  // namespace drover::hub
