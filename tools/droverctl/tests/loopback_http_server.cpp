#include "tools/droverctl/tests/loopback_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "common/text.h"

namespace drover::ctl::testing {

namespace {

constexpr size_t kMaxRequest = 1 << 20;

// A socket bound to 127.0.0.1 on a kernel-chosen port.
int bound_socket(int& port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        close(fd);
        throw std::runtime_error("bind failed");
    }
    port = ntohs(addr.sin_port);
    return fd;
}

std::string header_value(std::string_view head, std::string_view name) {
    for (auto& line : split(head, '\n')) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = line.substr(0, colon);
        if (key.size() != name.size() || strncasecmp(key.c_str(), name.data(), name.size()) != 0) continue;
        return std::string(trim(std::string_view(line).substr(colon + 1)));
    }
    return {};
}

const char* reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    case 500: return "Internal Server Error";
    default: return "Status";
    }
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        data.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace

LoopbackHttpServer::LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = bound_socket(port_);
    if (listen(listen_fd_, 16) != 0 || pipe2(stop_pipe_, O_CLOEXEC) != 0) {
        close(listen_fd_);
        throw std::runtime_error("listen failed");
    }
    thread_ = std::thread([this] { serve(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
    char byte = 1;
    (void)!write(stop_pipe_[1], &byte, 1);
    thread_.join();
    close(listen_fd_);
    close(stop_pipe_[0]);
    close(stop_pipe_[1]);
}

std::vector<RecordedRequest> LoopbackHttpServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void LoopbackHttpServer::serve() {
    while (true) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents) return;
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        handle(fd);
        close(fd);
    }
}

void LoopbackHttpServer::handle(int fd) {
    std::string data;
    char buf[4096];
    size_t head_end = std::string::npos;
    size_t body_len = 0;
    while (true) {
        if (head_end == std::string::npos) {
            head_end = data.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                auto n = parse_u64(header_value(std::string_view(data).substr(0, head_end), "Content-Length"));
                body_len = n.value_or(0);
            }
        }
        if (head_end != std::string::npos && data.size() >= head_end + 4 + body_len) break;
        if (data.size() > kMaxRequest) return;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        data.append(buf, static_cast<size_t>(n));
    }
    std::string_view head = std::string_view(data).substr(0, head_end);
    auto request_line = split(head.substr(0, head.find("\r\n")), ' ');
    RecordedRequest req;
    req.method = request_line.size() > 0 ? request_line[0] : "";
    req.path = request_line.size() > 1 ? request_line[1] : "";
    req.authorization = header_value(head, "Authorization");
    req.content_type = header_value(head, "Content-Type");
    req.accept = header_value(head, "Accept");
    req.last_event_id = header_value(head, "Last-Event-ID");
    req.body = data.substr(head_end + 4, body_len);
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(req);
    }
    CannedReply reply = handler_(req);
    if (reply.streamed) {
        stream(fd, reply);
        return;
    }
    write_all(fd, cat("HTTP/1.1 ", reply.status, " ", reason(reply.status), "\r\nContent-Type: ", reply.content_type,
                      "\r\nContent-Length: ", reply.body.size(), "\r\nConnection: close\r\n\r\n", reply.body));
}

void LoopbackHttpServer::stream(int fd, const CannedReply& reply) {
    write_all(fd, cat("HTTP/1.1 ", reply.status, " ", reason(reply.status), "\r\nContent-Type: ", reply.content_type,
                      "\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"));
    for (const auto& chunk : reply.chunks) write_all(fd, chunk);
    // Hold the stream open until hold_ms pass, the client closes, or the
    // server stops.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(reply.hold_ms);
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (poll(fds, 2, static_cast<int>(left.count())) < 0) continue;
        if (fds[1].revents) return;
        if (fds[0].revents) {
            char buf[256];
            if (recv(fd, buf, sizeof buf, 0) <= 0) return;  // the client went
        }
    }
}

RefusingPort::RefusingPort() { fd_ = bound_socket(port_); }
RefusingPort::~RefusingPort() { close(fd_); }

SilentPort::SilentPort() {
    fd_ = bound_socket(port_);
    if (listen(fd_, 16) != 0) {
        close(fd_);
        throw std::runtime_error("listen failed");
    }
}
SilentPort::~SilentPort() { close(fd_); }

}  // namespace drover::ctl::testing
