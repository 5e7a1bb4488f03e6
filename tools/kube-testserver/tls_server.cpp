#include "tools/kube-testserver/tls_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

#include "common/log.h"
#include "common/text.h"
#include "tools/kube-testserver/http_request_reader.h"

namespace drover::kts {

namespace {

// A client idle this long between requests is disconnected; so is one that
// stalls mid-request or mid-handshake.
constexpr int kIdleSeconds = 120;
constexpr int kHandshakeSeconds = 15;
constexpr int kWriteSeconds = 30;

std::string openssl_error() {
    unsigned long code = ERR_get_error();
    if (code == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

void set_timeout(int fd, int option, int seconds) {
    timeval tv{};
    tv.tv_sec = seconds;
    setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

Result<X509Ptr> parse_certificate(const std::string& pem, std::string_view what) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) return fail(cat(what, " is not a PEM certificate: ", openssl_error()));
    return cert;
}

Result<SslCtxPtr> make_context(const TlsIdentity& identity) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) return fail(cat("TLS context: ", openssl_error()));
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    // Clients resume sessions on reconnect (libcurl does); with client
    // certificates requested, OpenSSL refuses resumption with an internal
    // error unless the sessions carry a context id.
    static const unsigned char kSessionContext[] = "kube-testserver";
    SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);
    auto cert = parse_certificate(identity.cert_pem, "server certificate");
    if (!cert) return std::unexpected(cert.error());
    BioPtr key_bio(BIO_new_mem_buf(identity.key_pem.data(), static_cast<int>(identity.key_pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (!key) return fail(cat("server key is not a PEM private key: ", openssl_error()));
    if (SSL_CTX_use_certificate(ctx.get(), cert->get()) != 1 || SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1)
        return fail(cat("server certificate and key do not match: ", openssl_error()));
    if (!identity.client_ca_pem.empty()) {
        auto ca = parse_certificate(identity.client_ca_pem, "client CA certificate");
        if (!ca) return std::unexpected(ca.error());
        if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca->get()) != 1 ||
            SSL_CTX_add_client_CA(ctx.get(), ca->get()) != 1)
            return fail(cat("client CA certificate: ", openssl_error()));
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    }
    return ctx;
}

bool write_all(SSL* ssl, std::string_view data) {
    while (!data.empty()) {
        int n = SSL_write(ssl, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)));
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

std::string response_head(const HttpResponse& response, bool chunked, bool close) {
    std::string head = cat("HTTP/1.1 ", response.status, " ", reason_phrase(response.status), "\r\n");
    for (const auto& [name, value] : response.headers) head += cat(name, ": ", value, "\r\n");
    if (chunked)
        head += "Transfer-Encoding: chunked\r\n";
    else
        head += cat("Content-Length: ", response.body.size(), "\r\n");
    if (close) head += "Connection: close\r\n";
    head += "\r\n";
    return head;
}

// The CN of a client certificate that verified against the client CA.
std::string verified_common_name(SSL* ssl) {
    X509Ptr cert(SSL_get1_peer_certificate(ssl));
    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return "";
    char cn[256] = {};
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
    return n > 0 ? std::string(cn, static_cast<size_t>(n)) : std::string("(no CN)");
}

HttpResponse framing_error_response(const FramingError& error) {
    HttpResponse r;
    r.status = error.status;
    r.headers["Content-Type"] = "text/plain; charset=utf-8";
    r.body = error.message + "\n";
    return r;
}

}  // namespace

Result<std::unique_ptr<TlsServer>> TlsServer::open(const std::string& host, uint16_t port, const TlsIdentity& identity,
                                                   RequestHandler handler) {
    std::signal(SIGPIPE, SIG_IGN);
    std::unique_ptr<TlsServer> server(new TlsServer());
    auto ctx = make_context(identity);
    if (!ctx) return std::unexpected(ctx.error());
    server->ctx_ = std::move(*ctx);
    server->handler_ = std::move(handler);

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    std::string port_text = std::to_string(port);
    if (int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found); rc != 0)
        return fail(cat("cannot resolve listen address ", quoted(host), ": ", gai_strerror(rc)));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);

    int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(cat("socket: ", std::strerror(errno)));
    server->listen_fd_ = fd;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0)
        return fail(cat("cannot listen on ", host, ":", port, ": ", std::strerror(errno)));
    if (::listen(fd, 128) != 0) return fail(cat("listen: ", std::strerror(errno)));
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    server->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    if (::pipe2(server->wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return fail(cat("pipe: ", std::strerror(errno)));
    return server;
}

TlsServer::~TlsServer() {
    {
        std::unique_lock lock(mutex_);
        stopping_ = true;
        for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
        idle_.wait(lock, [this] { return active_ == 0; });
    }
    if (listen_fd_ >= 0) ::close(listen_fd_);
    for (int fd : wake_pipe_)
        if (fd >= 0) ::close(fd);
}

void TlsServer::stop() {
    char byte = 1;
    [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &byte, 1);
}

void TlsServer::run() {
    for (;;) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            log::error("poll: ", std::strerror(errno));
            break;
        }
        if (fds[1].revents != 0) break;
        if ((fds[0].revents & POLLIN) == 0) continue;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) log::warn("accept: ", std::strerror(errno));
            continue;
        }
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ::close(fd);
            break;
        }
        open_fds_.insert(fd);
        ++active_;
        std::thread([this, fd] { serve(fd); }).detach();
    }
    if (stop_hook_) stop_hook_();
    std::unique_lock lock(mutex_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    idle_.wait(lock, [this] { return active_ == 0; });
}

void TlsServer::serve(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_timeout(fd, SO_RCVTIMEO, kHandshakeSeconds);
    set_timeout(fd, SO_SNDTIMEO, kWriteSeconds);
    SslPtr ssl(SSL_new(ctx_.get()));
    if (ssl && SSL_set_fd(ssl.get(), fd) == 1 && SSL_accept(ssl.get()) == 1) {
        set_timeout(fd, SO_RCVTIMEO, kIdleSeconds);
        Peer peer{verified_common_name(ssl.get())};
        HttpRequestReader reader;
        char buf[16384];
        bool open = true;
        bool dropped = false;
        while (open) {
            auto next = reader.next();
            if (!next) {
                auto response = framing_error_response(next.error());
                write_all(ssl.get(), response_head(response, false, true) + response.body);
                break;
            }
            if (!*next) {
                if (reader.take_continue_request() && !write_all(ssl.get(), "HTTP/1.1 100 Continue\r\n\r\n")) break;
                int n = SSL_read(ssl.get(), buf, sizeof buf);
                if (n <= 0) break;
                reader.feed(std::string_view(buf, static_cast<size_t>(n)));
                continue;
            }
            const HttpRequest& request = **next;
            HttpResponse response;
            try {
                response = handler_(request, peer);
            } catch (const std::exception& e) {
                log::error("handler failed on ", request.method, " ", request.target, ": ", e.what());
                response = HttpResponse{};
                response.status = 500;
                response.headers["Content-Type"] = "text/plain; charset=utf-8";
                response.body = cat("internal error: ", e.what(), "\n");
            }
            if (response.drop_connection) {
                dropped = true;
                break;
            }
            bool close = request.header("connection") == "close";
            if (response.stream) {
                if (!write_all(ssl.get(), response_head(response, true, close))) break;
                bool alive = true;
                response.stream([&](std::string_view chunk) {
                    if (!alive || chunk.empty()) return alive;
                    char size_line[24];
                    std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
                    alive =
                        write_all(ssl.get(), size_line) && write_all(ssl.get(), chunk) && write_all(ssl.get(), "\r\n");
                    return alive;
                });
                open = alive && write_all(ssl.get(), "0\r\n\r\n") && !close;
            } else {
                open = write_all(ssl.get(), response_head(response, false, close) + response.body) && !close;
            }
        }
        // A dropped connection ends without close_notify, like a dead peer.
        if (!dropped) SSL_shutdown(ssl.get());
    }
    ERR_clear_error();
    std::lock_guard lock(mutex_);
    open_fds_.erase(fd);
    ::close(fd);
    if (--active_ == 0) idle_.notify_all();
}

}  // namespace drover::kts
