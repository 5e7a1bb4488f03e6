#include "tools/chaosproxy/tests/echo_upstream.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace drover::chaosproxy::testing {
namespace {

constexpr size_t kMaxBuffered = 1 << 20;

struct EchoConnection {
    UniqueFd fd;
    std::string out;
    bool eof = false;
    uint32_t interest = 0;
};

std::runtime_error os_error(const char* what) { return std::runtime_error(std::string(what) + ": " + std::strerror(errno)); }

}  // namespace

EchoUpstream::EchoUpstream() {
    listener_.reset(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listener_) throw os_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw os_error("bind");
    if (listen(listener_.get(), SOMAXCONN) != 0) throw os_error("listen");
    socklen_t len = sizeof addr;
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!epoll_ || !wake_) throw os_error("epoll/eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listener_.get();
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &ev);
    ev.data.fd = wake_.get();
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
    thread_ = std::thread([this] { run(); });
}

EchoUpstream::~EchoUpstream() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wake_.get(), &one, sizeof one);
    thread_.join();
}

void EchoUpstream::run() {
    std::unordered_map<int, EchoConnection> connections;
    std::vector<char> buffer(64 * 1024);
    epoll_event events[128];
    auto update = [&](EchoConnection& c) {
        uint32_t wanted = 0;
        if (!c.eof && c.out.size() < kMaxBuffered) wanted |= EPOLLIN;
        if (!c.out.empty()) wanted |= EPOLLOUT;
        if (wanted == c.interest) return;
        epoll_event ev{};
        ev.events = wanted;
        ev.data.fd = c.fd.get();
        epoll_ctl(epoll_.get(), wanted == 0 ? EPOLL_CTL_DEL : c.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
                  c.fd.get(), &ev);
        c.interest = wanted;
    };
    while (true) {
        int n = epoll_wait(epoll_.get(), events, 128, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == wake_.get()) return;
            if (fd == listener_.get()) {
                while (true) {
                    int c = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    accepted_.fetch_add(1);
                    EchoConnection& conn = connections[c];
                    conn.fd.reset(c);
                    update(conn);
                }
                continue;
            }
            auto it = connections.find(fd);
            if (it == connections.end()) continue;
            EchoConnection& c = it->second;
            bool dead = false;
            if (c.interest & EPOLLIN) {
                ssize_t r = recv(fd, buffer.data(), buffer.size(), 0);
                if (r > 0) c.out.append(buffer.data(), static_cast<size_t>(r));
                else if (r == 0) c.eof = true;
                else if (errno != EAGAIN) dead = true;
            }
            if (!dead && !c.out.empty()) {
                ssize_t w = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
                if (w > 0) c.out.erase(0, static_cast<size_t>(w));
                else if (w < 0 && errno != EAGAIN) dead = true;
            }
            if (dead || (c.eof && c.out.empty())) {
                connections.erase(it);
                continue;
            }
            update(c);
        }
    }
}

}  // namespace drover::chaosproxy::testing
