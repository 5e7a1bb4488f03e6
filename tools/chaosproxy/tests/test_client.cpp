#include "tools/chaosproxy/tests/test_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace drover::chaosproxy::testing {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<int64_t>(left, 0));
}

}  // namespace

TestClient::TestClient(uint16_t port) {
    fd_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    fcntl(fd_.get(), F_SETFL, fcntl(fd_.get(), F_GETFL) | O_NONBLOCK);
}

void TestClient::send(std::string_view data, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!data.empty()) {
        ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno != EAGAIN) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        pollfd p{fd_.get(), POLLOUT, 0};
        if (poll(&p, 1, remaining_ms(deadline)) == 0) throw std::runtime_error("send: timed out");
    }
}

std::string TestClient::receive(size_t n, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::string out;
    std::vector<char> buffer(64 * 1024);
    while (out.size() < n) {
        ssize_t r = recv(fd_.get(), buffer.data(), std::min(buffer.size(), n - out.size()), 0);
        if (r > 0) {
            out.append(buffer.data(), static_cast<size_t>(r));
            continue;
        }
        if (r == 0 || errno != EAGAIN) return out;
        pollfd p{fd_.get(), POLLIN, 0};
        if (poll(&p, 1, remaining_ms(deadline)) == 0) return out;
    }
    return out;
}

std::string TestClient::receive_some(milliseconds timeout) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) == 0) return {};
    std::vector<char> buffer(64 * 1024);
    ssize_t r = recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (r <= 0) return {};
    return std::string(buffer.data(), static_cast<size_t>(r));
}

std::string TestClient::exchange(std::string_view data, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::string out;
    std::vector<char> buffer(64 * 1024);
    std::string_view unsent = data;
    while (out.size() < data.size()) {
        pollfd p{fd_.get(), static_cast<short>(POLLIN | (unsent.empty() ? 0 : POLLOUT)), 0};
        if (poll(&p, 1, remaining_ms(deadline)) == 0) return out;
        if (!unsent.empty() && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = ::send(fd_.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL);
            if (n > 0) unsent.remove_prefix(static_cast<size_t>(n));
            else if (n < 0 && errno != EAGAIN) return out;
        }
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
            ssize_t r = recv(fd_.get(), buffer.data(), buffer.size(), 0);
            if (r > 0) out.append(buffer.data(), static_cast<size_t>(r));
            else if (r == 0 || errno != EAGAIN) return out;
        }
    }
    return out;
}

TestClient::Event TestClient::wait(milliseconds timeout) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) == 0) return Event::quiet;
    char byte;
    ssize_t r = recv(fd_.get(), &byte, 1, MSG_PEEK);
    if (r > 0) return Event::data;
    if (r < 0 && errno == EAGAIN) return Event::quiet;
    return Event::closed;
}

size_t TestClient::send_until_stuck(milliseconds stuck_for, size_t limit) {
    std::string block(64 * 1024, 'b');
    size_t sent = 0;
    while (sent < limit) {
        ssize_t n = ::send(fd_.get(), block.data(), block.size(), MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        pollfd p{fd_.get(), POLLOUT, 0};
        if (poll(&p, 1, static_cast<int>(stuck_for.count())) == 0) return sent;
    }
    return sent;
}

void TestClient::shutdown_write() { ::shutdown(fd_.get(), SHUT_WR); }

bool wait_until(const std::function<bool()>& pred, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(milliseconds(10));
    }
    return pred();
}

}  // namespace drover::chaosproxy::testing
