#include "tools/chaosproxy/relay.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <deque>
#include <functional>
#include <unordered_map>
#include <utility>
#include <variant>

#include "common/log.h"
#include "common/text.h"
#include "tools/chaosproxy/chaos_plan.h"
#include "tools/chaosproxy/control.h"
#include "tools/chaosproxy/timer_queue.h"
#include "tools/chaosproxy/token_bucket.h"
#include "tools/chaosproxy/unique_fd.h"

namespace drover::chaosproxy {
namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

constexpr size_t kReadChunk = 64 * 1024;
// Backpressure: a side is not read while the queue it feeds holds this much.
constexpr size_t kMaxPending = 256 * 1024;
constexpr size_t kMaxControlLine = 4096;
// A control client that does not read its answers is dropped past this.
constexpr size_t kMaxControlOutput = 64 * 1024;
constexpr int kMaxEvents = 256;
// Accepts per wake-up, so a connect storm does not starve open connections.
constexpr int kAcceptBatch = 64;
// Out of descriptors: stop accepting this long instead of spinning.
constexpr auto kAcceptBackoff = milliseconds(100);

// epoll data is id << 2 | kind.
enum class Kind : uint64_t { client = 0, upstream = 1, control = 2, fixed = 3 };
constexpr uint64_t kListenerId = 0, kControlListenerId = 1, kWakeId = 2;
// Timer ids below kFirstConnectionId belong to the relay itself; connections
// and control clients share the ids from there on (never reused).
constexpr uint64_t kScriptTimer = 0, kAcceptTimer = 1, kFirstConnectionId = 16;

uint64_t epoll_key(uint64_t id, Kind kind) { return id << 2 | static_cast<uint64_t>(kind); }

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

struct AddrInfoFree {
    void operator()(addrinfo* a) const { freeaddrinfo(a); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoFree>;

Result<AddrInfoPtr> resolve(const Endpoint& endpoint, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    addrinfo* found = nullptr;
    std::string port = std::to_string(endpoint.port);
    int rc = getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) return fail(cat("cannot resolve ", drover::quoted(endpoint.host), ": ", gai_strerror(rc)));
    return AddrInfoPtr(found);
}

Result<std::string> local_address(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return fail(cat("getsockname: ", std::strerror(errno)));
    char host[NI_MAXHOST];
    char serv[NI_MAXSERV];
    int rc = getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                         NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0) return fail(cat("getnameinfo: ", gai_strerror(rc)));
    return to_string(Endpoint{host, static_cast<uint16_t>(parse_u64(serv).value_or(0))});
}

Result<UniqueFd> listen_on(const Endpoint& endpoint) {
    auto found = resolve(endpoint, true);
    if (!found) return std::unexpected(found.error());
    std::string last_error = "no address";
    for (addrinfo* a = found->get(); a != nullptr; a = a->ai_next) {
        UniqueFd fd(socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd) {
            last_error = std::strerror(errno);
            continue;
        }
        int one = 1;
        setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 || listen(fd.get(), SOMAXCONN) != 0) {
            last_error = std::strerror(errno);
            continue;
        }
        return fd;
    }
    return fail(cat("cannot listen on ", to_string(endpoint), ": ", last_error));
}

// The next close() sends RST instead of FIN.
void reset_on_close(const UniqueFd& fd) {
    if (!fd) return;
    linger l{1, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

void set_nodelay(const UniqueFd& fd) {
    int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

struct Chunk {
    std::string bytes;
    size_t offset = 0;
    TimePoint ready_at;  // read time + delay
};

struct Peer {
    UniqueFd fd;
    uint32_t interest = 0;  // events registered with epoll; 0: not registered
    bool broken = false;    // reset or failed: never read or written again
};

// One direction of a connection: bytes read from its source wait here until
// their delay has passed and the bucket lets them onto the destination.
struct Flow {
    explicit Flow(TokenBucket b) : bucket(b) {}

    std::deque<Chunk> pending;
    size_t pending_bytes = 0;
    TokenBucket bucket;
    bool source_eof = false;  // the source sent FIN
    bool fin_passed = false;  // ... and the destination was shut for writing
    bool blocked = false;     // the destination's send buffer is full

    void drop_pending() {
        pending.clear();
        pending_bytes = 0;
        blocked = false;
    }
};

struct Connection {
    Connection(uint64_t id_, UniqueFd client_fd, UniqueFd upstream_fd, ConnectionChaos chaos_, uint64_t rate,
               TimePoint now)
        : id(id_), up(TokenBucket(rate, now)), down(TokenBucket(rate, now)), chaos(std::move(chaos_)) {
        client.fd = std::move(client_fd);
        upstream.fd = std::move(upstream_fd);
    }

    uint64_t id;
    Peer client;
    Peer upstream;
    bool connected = false;  // the upstream connect has completed
    Flow up;                 // client -> upstream
    Flow down;               // upstream -> client
    ConnectionChaos chaos;
    bool cut_with_rst = true;
    std::optional<TimePoint> cut_at;       // random chaos: when to cut
    std::optional<TimePoint> stall_at;     // when the next random stall starts
    std::optional<TimePoint> stall_until;  // set while a random stall lasts
};

struct ControlClient {
    UniqueFd fd;
    uint32_t interest = 0;
    std::string input;
    std::string output;
    bool closing = false;  // answer what is queued, then close
};

struct Counters {
    uint64_t accepted = 0;
    uint64_t cut = 0;
    uint64_t refused = 0;
    uint64_t bytes_up = 0;
    uint64_t bytes_down = 0;
    uint64_t bytes_dropped = 0;
};

std::optional<TimePoint> earliest(std::optional<TimePoint> a, std::optional<TimePoint> b) {
    if (!a) return b;
    if (!b) return a;
    return std::min(*a, *b);
}

}  // namespace

struct Relay::State {
    State(Options o, std::vector<ScriptStep> s)
        : options(std::move(o)),
          script(std::move(s)),
          plan(options.seed, options.chaos),
          chaos_on(options.chaos.any()),
          delay(milliseconds(options.delay_ms)),
          rate(options.rate_bytes_per_s),
          scratch(kReadChunk) {}

    Options options;
    std::vector<ScriptStep> script;
    size_t script_next = 0;

    UniqueFd epoll;
    UniqueFd wake;
    UniqueFd listener;
    UniqueFd control_listener;
    bool listener_registered = false;
    sockaddr_storage upstream_addr{};
    socklen_t upstream_len = 0;

    ChaosPlan plan;
    bool chaos_on;
    bool stall_all = false;
    bool refuse = false;
    Clock::duration delay;
    uint64_t rate;

    // Set by stop() from any thread or a signal handler; the eventfd write
    // that follows wakes epoll_wait.
    std::atomic<bool> stop_requested{false};
    TimePoint start;
    TimePoint now;
    TimerQueue timers;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections;
    std::unordered_map<uint64_t, ControlClient> controls;
    uint64_t next_id = kFirstConnectionId;
    Counters counters;
    std::vector<char> scratch;

    Result<BoundAddresses> open();
    Result<void> run();

    bool set_interest(const UniqueFd& fd, uint32_t& current, uint32_t wanted, uint64_t key);
    void on_event(uint64_t key, uint32_t events);
    void on_timer(uint64_t id);

    void accept_clients();
    void start_connection(UniqueFd client, ConnectionChaos chaos);
    void on_connection_event(uint64_t id, Kind side, uint32_t events);
    void read_side(Connection& c, Kind side);
    void flush(Flow& flow, Peer& destination, uint64_t& counter, std::optional<TimePoint>& wake_at);
    void pump(Connection& c);
    void close_connection(Connection& c, bool reset);
    void arm_chaos(Connection& c);
    static void disarm_chaos(Connection& c);
    bool stalled(const Connection& c) const { return stall_all || c.stall_until.has_value(); }
    void for_each_connection(const std::function<void(Connection&)>& fn);

    void accept_control();
    void on_control_event(uint64_t id, uint32_t events);
    std::string execute(const Command& command);
    std::string apply(const command::Cut&);
    std::string apply(const command::Stall&);
    std::string apply(const command::Resume&);
    std::string apply(const command::SetDelay&);
    std::string apply(const command::SetRate&);
    std::string apply(const command::SetChaos&);
    std::string apply(const command::SetRefuse&);
    std::string apply(const command::Stats&);
    std::string stats_json() const;
    void run_script();
};

Result<BoundAddresses> Relay::State::open() {
    epoll.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll) return fail(cat("epoll_create1: ", std::strerror(errno)));
    wake.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake) return fail(cat("eventfd: ", std::strerror(errno)));

    auto up = resolve(options.upstream, false);
    if (!up) return fail(cat("--upstream ", to_string(options.upstream), ": ", up.error().message));
    std::memcpy(&upstream_addr, (*up)->ai_addr, (*up)->ai_addrlen);
    upstream_len = (*up)->ai_addrlen;

    auto l = listen_on(options.listen);
    if (!l) return std::unexpected(l.error());
    listener = std::move(*l);
    BoundAddresses bound;
    auto listen_text = local_address(listener.get());
    if (!listen_text) return std::unexpected(listen_text.error());
    bound.listen = *listen_text;
    if (options.control) {
        auto c = listen_on(*options.control);
        if (!c) return std::unexpected(c.error());
        control_listener = std::move(*c);
        auto control_text = local_address(control_listener.get());
        if (!control_text) return std::unexpected(control_text.error());
        bound.control = *control_text;
    }

    uint32_t none = 0;
    if (!set_interest(wake, none, EPOLLIN, epoll_key(kWakeId, Kind::fixed)))
        return fail(cat("epoll_ctl: ", std::strerror(errno)));
    uint32_t listening = 0;
    if (!set_interest(listener, listening, EPOLLIN, epoll_key(kListenerId, Kind::fixed)))
        return fail(cat("epoll_ctl: ", std::strerror(errno)));
    listener_registered = true;
    if (control_listener) {
        uint32_t control_listening = 0;
        if (!set_interest(control_listener, control_listening, EPOLLIN, epoll_key(kControlListenerId, Kind::fixed)))
            return fail(cat("epoll_ctl: ", std::strerror(errno)));
    }
    return bound;
}

bool Relay::State::set_interest(const UniqueFd& fd, uint32_t& current, uint32_t wanted, uint64_t key) {
    if (wanted == current) return true;
    epoll_event ev{};
    ev.events = wanted;
    ev.data.u64 = key;
    int op = wanted == 0 ? EPOLL_CTL_DEL : current == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(epoll.get(), op, fd.get(), &ev) != 0) {
        int err = errno;
        log::warn("epoll_ctl on fd ", fd.get(), ": ", std::strerror(err));
        errno = err;
        return false;
    }
    current = wanted;
    return true;
}

Result<void> Relay::State::run() {
    if (!epoll) return fail("Relay::run before a successful open()");
    now = start = Clock::now();
    // Steps at 0s take effect before the first connection is accepted.
    run_script();
    epoll_event events[kMaxEvents];
    while (!stop_requested.load()) {
        int timeout = -1;
        if (auto next = timers.next()) {
            auto wait = std::chrono::ceil<milliseconds>(*next - Clock::now()).count();
            timeout = static_cast<int>(std::clamp<int64_t>(wait, 0, INT_MAX));
        }
        int n = epoll_wait(epoll.get(), events, kMaxEvents, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(cat("epoll_wait: ", std::strerror(errno)));
        }
        now = Clock::now();
        for (int i = 0; i < n; ++i) on_event(events[i].data.u64, events[i].events);
        now = Clock::now();
        for (uint64_t id : timers.pop_due(now)) on_timer(id);
    }
    return {};
}

void Relay::State::on_event(uint64_t key, uint32_t events) {
    auto kind = static_cast<Kind>(key & 3);
    uint64_t id = key >> 2;
    switch (kind) {
    case Kind::client:
    case Kind::upstream:
        on_connection_event(id, kind, events);
        return;
    case Kind::control:
        on_control_event(id, events);
        return;
    case Kind::fixed:
        if (id == kListenerId) accept_clients();
        else if (id == kControlListenerId) accept_control();
        else if (id == kWakeId) {
            uint64_t value = 0;
            [[maybe_unused]] ssize_t r = ::read(wake.get(), &value, sizeof value);
        }
        return;
    }
}

void Relay::State::on_timer(uint64_t id) {
    if (id == kScriptTimer) {
        run_script();
        return;
    }
    if (id == kAcceptTimer) {
        if (listener_registered) return;
        uint32_t none = 0;
        if (set_interest(listener, none, EPOLLIN, epoll_key(kListenerId, Kind::fixed))) listener_registered = true;
        else timers.arm(kAcceptTimer, now + kAcceptBackoff);
        return;
    }
    auto it = connections.find(id);
    if (it != connections.end()) pump(*it->second);
}

void Relay::State::accept_clients() {
    for (int i = 0; i < kAcceptBatch; ++i) {
        int fd = accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            if (would_block(err)) return;
            if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
            log::warn("accept: ", std::strerror(err), "; not accepting for ", kAcceptBackoff.count(), "ms");
            uint32_t registered = EPOLLIN;
            if (listener_registered && set_interest(listener, registered, 0, 0)) listener_registered = false;
            timers.arm(kAcceptTimer, now + kAcceptBackoff);
            return;
        }
        UniqueFd client(fd);
        ++counters.accepted;
        // Drawn for every accepted connection, so the Nth connection's fate
        // does not depend on what happened to the ones before it.
        ConnectionChaos chaos = plan.next_connection();
        if (refuse) {
            ++counters.refused;
            reset_on_close(client);
            continue;
        }
        start_connection(std::move(client), std::move(chaos));
    }
}

void Relay::State::start_connection(UniqueFd client, ConnectionChaos chaos) {
    UniqueFd upstream(socket(upstream_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!upstream) {
        log::warn("upstream socket: ", std::strerror(errno));
        ++counters.refused;
        reset_on_close(client);
        return;
    }
    set_nodelay(client);
    set_nodelay(upstream);
    bool connected = false;
    if (connect(upstream.get(), reinterpret_cast<const sockaddr*>(&upstream_addr), upstream_len) == 0) {
        connected = true;
    } else if (errno != EINPROGRESS) {
        log::debug("upstream connect: ", std::strerror(errno));
        ++counters.refused;
        reset_on_close(client);
        return;
    }
    uint64_t id = next_id++;
    auto conn = std::make_unique<Connection>(id, std::move(client), std::move(upstream), std::move(chaos), rate, now);
    conn->connected = connected;
    Connection& c = *conn;
    connections.emplace(id, std::move(conn));
    if (chaos_on) arm_chaos(c);
    pump(c);
}

void Relay::State::arm_chaos(Connection& c) {
    auto after_ms = [this](std::optional<int64_t> ms) -> std::optional<TimePoint> {
        if (!ms) return std::nullopt;
        return now + milliseconds(*ms);
    };
    c.cut_at = after_ms(c.chaos.draw_lifetime_ms());
    c.cut_with_rst = c.chaos.draw_cut_with_rst();
    c.stall_at = after_ms(c.chaos.draw_stall_after_ms());
    c.stall_until.reset();
}

void Relay::State::disarm_chaos(Connection& c) {
    c.cut_at.reset();
    c.stall_at.reset();
    c.stall_until.reset();
}

void Relay::State::on_connection_event(uint64_t id, Kind side, uint32_t events) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    Connection& c = *it->second;
    if (side == Kind::upstream && !c.connected) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c.upstream.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err == 0 && (events & (EPOLLERR | EPOLLHUP)) == 0) {
            c.connected = true;
        } else {
            log::debug("upstream connect: ", std::strerror(err != 0 ? err : ECONNREFUSED));
            ++counters.refused;
            close_connection(c, true);
            return;
        }
    } else {
        Peer& peer = side == Kind::client ? c.client : c.upstream;
        if ((peer.interest & EPOLLIN) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_side(c, side);
        if ((peer.interest & EPOLLOUT) && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
            (side == Kind::client ? c.down : c.up).blocked = false;
    }
    pump(c);
}

void Relay::State::read_side(Connection& c, Kind side) {
    Peer& source = side == Kind::client ? c.client : c.upstream;
    Flow& flow = side == Kind::client ? c.up : c.down;
    ssize_t n = recv(source.fd.get(), scratch.data(), scratch.size(), 0);
    if (n > 0) {
        auto bytes = static_cast<size_t>(n);
        if (stalled(c)) {
            counters.bytes_dropped += bytes;
            return;
        }
        flow.pending.push_back(Chunk{std::string(scratch.data(), bytes), 0, now + delay});
        flow.pending_bytes += bytes;
    } else if (n == 0) {
        flow.source_eof = true;
    } else if (!would_block(errno) && errno != EINTR) {
        source.broken = true;
    }
}

void Relay::State::flush(Flow& flow, Peer& destination, uint64_t& counter, std::optional<TimePoint>& wake_at) {
    // Below this many tokens, wait for more instead of sending slivers: at
    // 32 KiB/s that is 32 writes a second instead of one per millisecond.
    const size_t min_send = std::max<size_t>(flow.bucket.burst() / 16, 1);
    while (!flow.pending.empty() && !flow.blocked && !destination.broken) {
        Chunk& chunk = flow.pending.front();
        if (chunk.ready_at > now) {
            wake_at = earliest(wake_at, chunk.ready_at);
            return;
        }
        size_t want = chunk.bytes.size() - chunk.offset;
        size_t allowed = flow.bucket.available(now);
        if (allowed < std::min(want, min_send)) {
            wake_at = earliest(wake_at, now + flow.bucket.wait_for(std::min(want, min_send), now));
            return;
        }
        allowed = std::min(allowed, want);
        ssize_t n = send(destination.fd.get(), chunk.bytes.data() + chunk.offset, allowed, MSG_NOSIGNAL);
        if (n < 0) {
            if (would_block(errno)) flow.blocked = true;
            else if (errno != EINTR) destination.broken = true;
            continue;
        }
        auto sent = static_cast<size_t>(n);
        flow.bucket.consume(sent);
        counter += sent;
        chunk.offset += sent;
        flow.pending_bytes -= sent;
        if (chunk.offset == chunk.bytes.size()) flow.pending.pop_front();
        if (sent < allowed) flow.blocked = true;  // the send buffer is full
    }
}

// Brings a connection up to date with the clock and its sockets: chaos
// deadlines, forwarding, FIN propagation, teardown, epoll interest and its
// next timer. May destroy the connection; callers do not touch it after.
void Relay::State::pump(Connection& c) {
    if (c.cut_at && now >= *c.cut_at) {
        log::debug("connection ", c.id, ": random cut (", c.cut_with_rst ? "RST" : "FIN", ")");
        ++counters.cut;
        close_connection(c, c.cut_with_rst);
        return;
    }
    if (c.stall_until && now >= *c.stall_until) {
        c.stall_until.reset();
        if (chaos_on) {
            if (auto ms = c.chaos.draw_stall_after_ms()) c.stall_at = now + milliseconds(*ms);
        }
    } else if (c.stall_at && now >= *c.stall_at) {
        c.stall_at.reset();
        c.stall_until = now + milliseconds(c.chaos.draw_stall_for_ms());
        log::debug("connection ", c.id, ": random stall");
    }

    const bool is_stalled = stalled(c);
    std::optional<TimePoint> wake_at;
    if (is_stalled) {
        // A dead link loses what was in flight, too.
        counters.bytes_dropped += c.up.pending_bytes + c.down.pending_bytes;
        c.up.drop_pending();
        c.down.drop_pending();
    } else if (c.connected) {
        flush(c.up, c.upstream, counters.bytes_up, wake_at);
        flush(c.down, c.client, counters.bytes_down, wake_at);
    }

    // While stalled, a side that went away is not told to the other one: a
    // half-open link is the point. Once both are gone nobody is left.
    if ((c.client.broken && c.upstream.broken) || (!is_stalled && (c.client.broken || c.upstream.broken))) {
        close_connection(c, false);
        return;
    }
    if (!is_stalled && c.connected) {
        auto pass_fin = [](Flow& flow, Peer& destination) {
            if (!flow.source_eof || flow.fin_passed || !flow.pending.empty()) return;
            if (::shutdown(destination.fd.get(), SHUT_WR) != 0) destination.broken = true;
            flow.fin_passed = true;
        };
        pass_fin(c.up, c.upstream);
        pass_fin(c.down, c.client);
        if ((c.up.fin_passed && c.down.fin_passed) || c.client.broken || c.upstream.broken) {
            close_connection(c, false);
            return;
        }
    }

    auto wants_read = [is_stalled](const Peer& peer, const Flow& fed) {
        return !peer.broken && !fed.source_eof && (is_stalled || fed.pending_bytes < kMaxPending);
    };
    uint32_t client_events = 0;
    if (wants_read(c.client, c.up)) client_events |= EPOLLIN;
    if (c.down.blocked && !c.client.broken) client_events |= EPOLLOUT;
    uint32_t upstream_events = 0;
    if (!c.connected) {
        upstream_events = EPOLLOUT;
    } else {
        if (wants_read(c.upstream, c.down)) upstream_events |= EPOLLIN;
        if (c.up.blocked && !c.upstream.broken) upstream_events |= EPOLLOUT;
    }
    set_interest(c.client.fd, c.client.interest, client_events, epoll_key(c.id, Kind::client));
    set_interest(c.upstream.fd, c.upstream.interest, upstream_events, epoll_key(c.id, Kind::upstream));

    auto next = earliest(earliest(c.cut_at, c.stall_at), earliest(c.stall_until, wake_at));
    if (next) timers.arm(c.id, *next);
    else timers.disarm(c.id);
}

void Relay::State::close_connection(Connection& c, bool reset) {
    if (reset) {
        reset_on_close(c.client.fd);
        reset_on_close(c.upstream.fd);
    }
    timers.disarm(c.id);
    connections.erase(c.id);  // closing the sockets also leaves the epoll set
}

void Relay::State::for_each_connection(const std::function<void(Connection&)>& fn) {
    std::vector<uint64_t> ids;
    ids.reserve(connections.size());
    for (const auto& [id, conn] : connections) ids.push_back(id);
    for (uint64_t id : ids) {
        auto it = connections.find(id);
        if (it != connections.end()) fn(*it->second);
    }
}

void Relay::State::accept_control() {
    while (true) {
        int fd = accept4(control_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (!would_block(errno)) log::warn("control accept: ", std::strerror(errno));
            return;
        }
        uint64_t id = next_id++;
        ControlClient& client = controls[id];
        client.fd.reset(fd);
        if (!set_interest(client.fd, client.interest, EPOLLIN, epoll_key(id, Kind::control))) controls.erase(id);
    }
}

void Relay::State::on_control_event(uint64_t id, uint32_t events) {
    auto it = controls.find(id);
    if (it == controls.end()) return;
    ControlClient& client = it->second;
    if ((client.interest & EPOLLIN) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        ssize_t n = recv(client.fd.get(), scratch.data(), scratch.size(), 0);
        if (n > 0) {
            client.input.append(scratch.data(), static_cast<size_t>(n));
        } else if (n == 0) {
            // A last command without its newline still counts.
            if (!client.input.empty()) client.input += '\n';
            client.closing = true;
        } else if (!would_block(errno) && errno != EINTR) {
            controls.erase(it);
            return;
        }
        for (size_t newline; (newline = client.input.find('\n')) != std::string::npos;) {
            std::string line = client.input.substr(0, newline);
            client.input.erase(0, newline + 1);
            if (trim(line).empty()) continue;
            auto parsed = parse_command(line);
            std::string answer = parsed ? execute(*parsed) : cat("error ", parsed.error().message);
            // stats is polled; logging it would drown the commands that change things.
            if (parsed && std::holds_alternative<command::Stats>(*parsed)) log::debug("control: stats -> ", answer);
            else log::info("control: ", trim(line), " -> ", answer);
            client.output += answer;
            client.output += '\n';
        }
        if (client.input.size() > kMaxControlLine) {
            client.output += "error line too long\n";
            client.input.clear();
            client.closing = true;
        }
    }
    while (!client.output.empty()) {
        ssize_t n = send(client.fd.get(), client.output.data(), client.output.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (would_block(errno)) break;
            if (errno == EINTR) continue;
            controls.erase(it);
            return;
        }
        client.output.erase(0, static_cast<size_t>(n));
    }
    if ((client.closing && client.output.empty()) || client.output.size() > kMaxControlOutput) {
        controls.erase(it);
        return;
    }
    uint32_t wanted = (client.closing ? 0u : static_cast<uint32_t>(EPOLLIN)) | (client.output.empty() ? 0u : EPOLLOUT);
    if (!set_interest(client.fd, client.interest, wanted, epoll_key(id, Kind::control))) controls.erase(it);
}

std::string Relay::State::execute(const Command& command) {
    return std::visit([this](const auto& c) { return apply(c); }, command);
}

std::string Relay::State::apply(const command::Cut&) {
    for_each_connection([this](Connection& c) {
        ++counters.cut;
        close_connection(c, true);
    });
    return "ok";
}

std::string Relay::State::apply(const command::Stall&) {
    stall_all = true;
    for_each_connection([this](Connection& c) { pump(c); });
    return "ok";
}

std::string Relay::State::apply(const command::Resume&) {
    stall_all = false;
    for_each_connection([this](Connection& c) {
        if (c.stall_until) c.stall_until = now;  // pump ends it and draws the next one
        pump(c);
    });
    return "ok";
}

std::string Relay::State::apply(const command::SetDelay& c) {
    delay = milliseconds(c.ms);
    return "ok";
}

std::string Relay::State::apply(const command::SetRate& c) {
    rate = c.bytes_per_s;
    for_each_connection([this](Connection& conn) {
        conn.up.bucket.set_rate(rate, now);
        conn.down.bucket.set_rate(rate, now);
        pump(conn);
    });
    return "ok";
}

std::string Relay::State::apply(const command::SetChaos& c) {
    if (c.on && !plan.ranges().any()) return "error chaos on needs --cut-every or --stall-every at start";
    if (c.on == chaos_on) return "ok";
    chaos_on = c.on;
    for_each_connection([this](Connection& conn) {
        if (chaos_on) arm_chaos(conn);
        else disarm_chaos(conn);
        pump(conn);
    });
    return "ok";
}

std::string Relay::State::apply(const command::SetRefuse& c) {
    refuse = c.on;
    return "ok";
}

std::string Relay::State::apply(const command::Stats&) { return cat("ok ", stats_json()); }

std::string Relay::State::stats_json() const {
    size_t stalled_now = 0;
    for (const auto& [id, conn] : connections)
        if (stalled(*conn)) ++stalled_now;
    return cat("{\"accepted\":", counters.accepted, ",\"open\":", connections.size(), ",\"cut\":", counters.cut,
               ",\"stalled_now\":", stalled_now, ",\"bytes_up\":", counters.bytes_up,
               ",\"bytes_down\":", counters.bytes_down, ",\"refused\":", counters.refused,
               ",\"bytes_dropped\":", counters.bytes_dropped, ",\"chaos\":", chaos_on ? "true" : "false",
               ",\"stall\":", stall_all ? "true" : "false", ",\"refuse\":", refuse ? "true" : "false", "}");
}

void Relay::State::run_script() {
    while (script_next < script.size() && start + milliseconds(script[script_next].at_ms) <= now) {
        const ScriptStep& step = script[script_next++];
        log::info("script ", step.where, ": ", step.text, " -> ", execute(step.command));
    }
    if (script_next < script.size()) timers.arm(kScriptTimer, start + milliseconds(script[script_next].at_ms));
}

Relay::Relay(Options options, std::vector<ScriptStep> script)
    : state_(std::make_unique<State>(std::move(options), std::move(script))) {}

Relay::~Relay() = default;

Result<BoundAddresses> Relay::open() { return state_->open(); }

Result<void> Relay::run() { return state_->run(); }

void Relay::stop() {
    static_assert(std::atomic<bool>::is_always_lock_free, "stop() must be async-signal-safe");
    state_->stop_requested.store(true);
    uint64_t one = 1;
    if (state_->wake) [[maybe_unused]] ssize_t r = ::write(state_->wake.get(), &one, sizeof one);
}

}  // namespace drover::chaosproxy
