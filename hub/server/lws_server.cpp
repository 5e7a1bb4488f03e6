#include "hub/server/lws_server.h"

#include <libwebsockets.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>

#include "common/crypto.h"
#include "common/log.h"
#include "common/tcp_info.h"
#include "common/text.h"
#include "hub/server/agent_session.h"
#include "hub/server/api_reply.h"
#include "hub/server/git_endpoint.h"
#include "hub/server/http_api.h"
#include "hub/server/request_body.h"
#include "proto/frame.h"

namespace drover::hub {

namespace {

constexpr const char* kAgentPath = "/v1/agent";
// Bytes handed to lws per writable callback. One pass of the loop over ten
// thousand agent sockets takes milliseconds, so small chunks would make a
// 100 KB answer take a hundred passes; lws keeps what the socket cannot take
// yet and calls back once it is sent.
constexpr size_t kHttpWriteChunk = 256 * 1024;
// A response (or a live stream) whose client accepts nothing for this long
// is dropped. lws's own timeout for it (5 s from the request) would cut off
// a large answer on a slow link, so each write extends it instead.
constexpr int kHttpStallSeconds = 45;
constexpr size_t kMaxDiscard = 16 << 20;  // bytes of an oversized frame read before closing anyway
constexpr int kHelloTimeoutSeconds = 15;  // a connection must say Hello within this
// Frames queued for one agent. Content is paced by the session (a few chunks
// at a time), so only a peer that does not read its socket gets near this.
constexpr size_t kMaxQueuedFrames = 1024;

LwsServer& server_of(lws* wsi) { return *static_cast<LwsServer*>(lws_context_user(lws_get_context(wsi))); }

// lws's validity pings are off: the hub's idle sweep and the agents'
// heartbeats do that job (lws keeps its timers in a list with O(N) inserts,
// which at 10k+ connections costs half a core).
const lws_retry_bo_t kNoValidityTimers = {};

}  // namespace

// ---- websocket: one AgentSession per connection ---------------------------

class WsConnection final : public Transport {
public:
    WsConnection(lws* wsi, LwsServer& server)
        : wsi_(wsi), server_(server), session_(server.fleet(), *this) {
        server_.add_connection(this);
    }
    ~WsConnection() override { server_.remove_connection(this); }

    void send(std::string frame) override {
        if (closing_) return;
        if (out_.size() >= kMaxQueuedFrames) {
            // A peer that does not read: drop it rather than buffer without bound.
            log::warn("closing a session whose peer does not read (", out_.size(), " frames queued)");
            out_.clear();
            close("send queue full: the agent does not read its socket");
            return;
        }
        frame.insert(0, LWS_PRE, '\0');
        out_.push_back(std::move(frame));
        lws_callback_on_writable(wsi_);
    }
    size_t queued() const override { return out_.size(); }
    std::string peer_address() const override {
        char ip[64] = "";
        lws_get_peer_simple(wsi_, ip, sizeof ip);
        return ip;
    }
    std::optional<PeerCertificate> peer_certificate() const override {
        // A certificate that did not verify failed the handshake
        // (http_callback), so one that is here verified; checked again.
        SSL* ssl = lws_get_ssl(wsi_);
        X509* cert = ssl ? SSL_get0_peer_certificate(ssl) : nullptr;
        if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
        char cn[256];
        int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
        unsigned char* der = nullptr;
        int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
        if (n <= 0 || len <= 0) {
            OPENSSL_free(der);
            return std::nullopt;
        }
        PeerCertificate out{std::string(cn, static_cast<size_t>(n)),
                            sha256_hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(len)))};
        OPENSSL_free(der);
        return out;
    }
    void close(const std::string& reason) override {
        if (closing_) return;
        closing_ = true;
        close_reason_ = reason.substr(0, 120);  // a close frame carries at most 123 bytes
        lws_callback_on_writable(wsi_);
    }

    // Returns -1 when lws should close the connection.
    int on_writable() {
        if (!out_.empty()) {
            std::string& f = out_.front();
            size_t n = f.size() - LWS_PRE;
            if (lws_write(wsi_, reinterpret_cast<unsigned char*>(f.data()) + LWS_PRE, n, LWS_WRITE_BINARY) <
                static_cast<int>(n))
                return -1;
            server_.fleet().metrics().frames_sent.inc();
            server_.fleet().metrics().bytes_sent.inc(n);
            out_.pop_front();
        }
        if (out_.empty()) {
            // Closing while the peer still sends the rest of an oversized
            // frame would reset the connection and lose our Close message:
            // read and drop the rest first, up to a bound.
            if (closing_ && discarding_ && discarded_ < kMaxDiscard) return 0;
            if (closing_) {
                lws_close_reason(wsi_, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                                 reinterpret_cast<unsigned char*>(close_reason_.data()), close_reason_.size());
                return -1;
            }
            session_.on_drained();
        }
        if (!out_.empty()) lws_callback_on_writable(wsi_);
        return 0;
    }

    void on_receive(const void* in, size_t len) {
        server_.fleet().metrics().bytes_received.inc(len);
        if (discarding_ || closing_) {
            discarded_ += len;
            if ((lws_is_final_fragment(wsi_) && !lws_remaining_packet_payload(wsi_)) || discarded_ >= kMaxDiscard) {
                discarding_ = false;
                lws_callback_on_writable(wsi_);
            }
            return;
        }
        if (!lws_frame_is_binary(wsi_)) {
            session_.end("text frames are not part of the drover protocol");
            return;
        }
        // lws 4.1 has no message-size cap: reassemble and enforce ours.
        size_t max_frame = server_.fleet().limits().frame_bytes;
        if (rx_.size() + len > max_frame) {
            rx_.clear();
            discarding_ = !(lws_is_final_fragment(wsi_) && !lws_remaining_packet_payload(wsi_));
            session_.end(cat("frame exceeds the limit of ", max_frame, " bytes (hub limit frame-bytes)"));
            return;
        }
        rx_.append(static_cast<const char*>(in), len);
        if (lws_is_final_fragment(wsi_) && !lws_remaining_packet_payload(wsi_)) {
            server_.fleet().metrics().frames_received.inc();
            std::string frame;
            frame.swap(rx_);
            bool was_authenticated = session_.authenticated();
            session_.on_frame(frame);
            if (!was_authenticated && session_.authenticated()) lws_set_timeout(wsi_, NO_PENDING_TIMEOUT, 0);
        }
    }

    void on_established() { lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, kHelloTimeoutSeconds); }
    // Nothing arrived for longer than idle_ms (the kernel keeps the time of
    // the last data received, pings included): drop the connection without
    // a close handshake, which a vanished peer would never answer.
    void drop_if_idle(uint32_t idle_ms) {
        auto c = tcp_counters(lws_get_socket_fd(wsi_));
        if (!c || c->ms_since_data_received < idle_ms) return;
        log::info("session ", session_.agent_id().empty() ? "(unregistered)" : session_.agent_id(),
                  ": nothing received for ", c->ms_since_data_received / 1000, " s; dropping the dead link");
        lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    void on_closed() { session_.on_closed(); }
    // A bug or broken storage while handling one session ends that session,
    // not the hub.
    void on_failure(const char* what) {
        log::error("session failed: ", what);
        close("internal error in the hub");
    }

private:
    lws* wsi_;
    LwsServer& server_;
    AgentSession session_;
    std::deque<std::string> out_;
    std::string rx_;
    bool closing_ = false;
    bool discarding_ = false;
    size_t discarded_ = 0;
    std::string close_reason_;
};

namespace {

struct WsSlot {
    WsConnection* conn;
};

int agent_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto* slot = static_cast<WsSlot*>(user);
    if (!slot && reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION) return 0;
    switch (reason) {
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
            char uri[64] = {0};
            if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || std::strcmp(uri, kAgentPath) != 0)
                return 1;  // refuse the upgrade
            return 0;
        }
        case LWS_CALLBACK_ESTABLISHED:
            slot->conn = new WsConnection(wsi, server_of(wsi));
            slot->conn->on_established();
            return 0;
        case LWS_CALLBACK_CLOSED:
            if (slot->conn) {
                try {
                    slot->conn->on_closed();
                } catch (const std::exception& e) {
                    log::error("session close failed: ", e.what());
                }
                delete slot->conn;
                slot->conn = nullptr;
            }
            return 0;
        default: break;
    }
    if (!slot->conn) return 0;
    try {
        if (reason == LWS_CALLBACK_RECEIVE) slot->conn->on_receive(in, len);
        if (reason == LWS_CALLBACK_SERVER_WRITEABLE) return slot->conn->on_writable();
    } catch (const std::exception& e) {
        slot->conn->on_failure(e.what());
    }
    return 0;
}

// ---- HTTP: the REST API, the Git remote, live events, the dashboard --------

// A live event stream's response body: the EventFeed writes, lws sends as
// the client reads.
class HttpEventStream final : public EventSink {
public:
    HttpEventStream(lws* wsi, EventFeed& feed) : wsi_(wsi), feed_(feed) {}
    // However the exchange ends, the feed stops writing here.
    ~HttpEventStream() override { feed_.unsubscribe(this); }
    void write(std::string text) override {
        pending_ += text;
        lws_callback_on_writable(wsi_);
    }
    size_t unsent_bytes() const override { return pending_.size(); }
    void close(bool send_queued) override {
        closing_ = true;
        if (!send_queued) pending_.clear();
        lws_callback_on_writable(wsi_);
    }
    // Returns -1 when lws should close the connection.
    int on_writable() {
        if (pending_.empty()) return closing_ ? -1 : 0;
        size_t n = std::min(kHttpWriteChunk, pending_.size());
        std::string buf(LWS_PRE + n, '\0');
        std::memcpy(buf.data() + LWS_PRE, pending_.data(), n);
        if (lws_write(wsi_, reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE, n, LWS_WRITE_HTTP) <
            static_cast<int>(n))
            return -1;
        pending_.erase(0, n);
        lws_set_timeout(wsi_, PENDING_TIMEOUT_HTTP_CONTENT, kHttpStallSeconds);
        if (!pending_.empty() || closing_) lws_callback_on_writable(wsi_);
        return 0;
    }

private:
    lws* wsi_;
    EventFeed& feed_;
    std::string pending_;  // written by the feed, not yet handed to lws
    bool closing_ = false;
};

struct HttpExchange {
    HttpRequest request;
    HttpResponse response;
    size_t sent = 0;
    bool too_large = false;
    // Git requests: the body is decoded (de-chunked, gunzipped) into a
    // spool, then handed to the GitEndpoint, which answers later.
    std::optional<RequestBody> git_body;
    std::string git_caller;  // who GitEndpoint::begin authenticated
    bool replied = false;      // a response was chosen; later body bytes are dropped
    bool close_after = false;  // end the connection after the response
    bool final_written = false;
    uint64_t id = 0;  // while a worker prepares the response
    std::unique_ptr<HttpEventStream> stream;  // GET /api/v1/events as text/event-stream
};

struct HttpSlot {
    HttpExchange* ex;
};

const char* method_name(int m) {
    switch (m) {
        case LWSHUMETH_GET: return "GET";
        case LWSHUMETH_POST: return "POST";
        case LWSHUMETH_OPTIONS: return "OPTIONS";
        case LWSHUMETH_PUT: return "PUT";
        case LWSHUMETH_PATCH: return "PATCH";
        case LWSHUMETH_DELETE: return "DELETE";
        case LWSHUMETH_HEAD: return "HEAD";
        default: return "OTHER";
    }
}

std::string header(lws* wsi, lws_token_indexes token, size_t max = 4096) {
    int n = lws_hdr_total_length(wsi, token);
    if (n <= 0 || static_cast<size_t>(n) > max) return "";
    std::string out(static_cast<size_t>(n) + 1, '\0');
    if (lws_hdr_copy(wsi, out.data(), n + 1, token) < 0) return "";
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string custom_header(lws* wsi, const char* name) {
    int nlen = static_cast<int>(std::strlen(name));
    int n = lws_hdr_custom_length(wsi, name, nlen);
    if (n <= 0 || n > 4096) return "";
    std::string out(static_cast<size_t>(n) + 1, '\0');
    if (lws_hdr_custom_copy(wsi, out.data(), n + 1, name, nlen) < 0) return "";
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string query_of(lws* wsi) {
    std::string query;
    char buf[1024];
    for (int i = 0; i < 16; ++i) {
        int n = lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) break;
        if (!query.empty()) query += '&';
        query.append(buf, static_cast<size_t>(n));
    }
    return query;
}

// A bug or broken storage answers 500 for this request; the hub goes on.
HttpResponse handle_safely(LwsServer& server, const HttpRequest& req) {
    try {
        if (req.path == "/api/v1/hooks/git" && server.webhook()) return server.webhook()(req);
        return handle_http(server.fleet(), req);
    } catch (const std::exception& e) {
        log::error("HTTP ", req.method, " ", utf8_prefix(req.path, 200), " failed: ", e.what());
        return {500, "application/json", "{\"error\":\"internal error in the hub (see its log)\"}\n", {}};
    }
}

// The response is out: free the exchange; lws reads the next request.
int complete_transaction(lws* wsi, HttpSlot* slot) {
    delete slot->ex;
    slot->ex = nullptr;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// Forges send whole push descriptions to webhooks: more room there.
std::pair<size_t, const char*> body_limit(LwsServer& server, const HttpRequest& request) {
    auto& limits = server.fleet().limits();
    if (request.path == "/api/v1/hooks/git") return {limits.webhook_body_bytes, "webhook-body-bytes"};
    return {limits.request_body_bytes, "request-body-bytes"};
}

int send_headers(lws* wsi, HttpExchange& ex) {
    if (ex.too_large) {
        auto [bytes, name] = body_limit(server_of(wsi), ex.request);
        ex.response = json_error(413, cat("request body is larger than the limit of ", bytes, " bytes (hub limit ", name, ")"));
    }
    ex.replied = true;
    std::string buffer(LWS_PRE + 2048 + ex.response.headers.size() * 256, '\0');
    auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
    unsigned char *p = start, *end = reinterpret_cast<unsigned char*>(buffer.data()) + buffer.size() - 1;
    if (lws_add_http_common_headers(wsi, static_cast<unsigned>(ex.response.status), ex.response.content_type.c_str(),
                                    ex.response.body.size(), &p, end))
        return -1;
    for (auto& [name, value] : ex.response.headers) {
        std::string n = name + ":";
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                        reinterpret_cast<const unsigned char*>(value.data()),
                                        static_cast<int>(value.size()), &p, end))
            return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    if (ex.response.body.empty() && !ex.close_after) {
        // Nothing follows the headers: the client may send its next request
        // on this connection at once (git does, after its probe), so the
        // transaction must be complete now. Completing it in a later
        // WRITEABLE lets that request arrive while lws still holds this one,
        // and lws then drops the connection.
        auto* slot = static_cast<HttpSlot*>(lws_wsi_user(wsi));
        if (slot && slot->ex == &ex) return complete_transaction(wsi, slot);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

HttpResponse git_error(int status, const std::string& message) { return {status, "text/plain", message + "\n", {}}; }

// The git body is complete: the endpoint answers through deliver().
int finish_git(lws* wsi, HttpExchange& ex) {
    LwsServer& server = server_of(wsi);
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);  // validating a push may take a while
    auto spool = ex.git_body->finish();
    ex.git_body.reset();
    ex.replied = true;
    if (!spool) {
        ex.response = git_error(400, spool.error().message);
        return send_headers(wsi, ex);
    }
    ex.id = server.await_response(wsi);
    server.git()->finish(ex.request, ex.git_caller, std::move(*spool),
                         [&server, id = ex.id](HttpResponse r) { server.deliver(id, std::move(r)); });
    return 0;
}

int begin_git(lws* wsi, HttpExchange& ex, bool has_body) {
    auto& req = ex.request;
    std::string transfer = header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
    bool chunked = transfer.find("chunked") != std::string::npos;
    // Once the client is still sending a chunked body we cannot read to its
    // end, the only way to answer is to close after the response.
    ex.close_after = chunked;
    GitBegin b = server_of(wsi).git()->begin(req);
    if (b.reply) {
        ex.response = std::move(*b.reply);
        return send_headers(wsi, ex);
    }
    std::string encoding = header(wsi, WSI_TOKEN_HTTP_CONTENT_ENCODING);
    if (!encoding.empty() && encoding != "gzip" && encoding != "identity") {
        ex.response = git_error(415, cat("Content-Encoding ", quoted(utf8_prefix(encoding, 40)), " is not supported (gzip is)"));
        return send_headers(wsi, ex);
    }
    ex.git_caller = std::move(b.caller);
    ex.git_body.emplace(std::move(*b.spool), chunked, encoding == "gzip");
    if (!has_body) return finish_git(wsi, ex);
    return 0;
}

// A live event stream: headers now (no length: the response ends when the
// connection does), then whatever the EventFeed writes.
int begin_stream(lws* wsi, HttpExchange& ex) {
    LwsServer& server = server_of(wsi);
    auto stream = std::make_unique<HttpEventStream>(wsi, server.feed());
    try {
        auto options = event_stream_options(server.fleet(), ex.request);
        if (!options) {
            ex.response = std::move(options.error());
            return send_headers(wsi, ex);
        }
        if (auto ok = server.feed().subscribe(stream.get(), *options); !ok) {
            ex.response = json_error(503, ok.error().message);
            return send_headers(wsi, ex);
        }
    } catch (const std::exception& e) {
        log::error("live event stream failed: ", e.what());
        ex.response = json_error(500, "internal error in the hub (see its log)");
        return send_headers(wsi, ex);
    }
    ex.stream = std::move(stream);
    ex.replied = true;
    std::string buffer(LWS_PRE + 1024, '\0');
    auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
    unsigned char *p = start, *end = reinterpret_cast<unsigned char*>(buffer.data()) + buffer.size() - 1;
    static const unsigned char kNoCache[] = "no-cache";
    if (lws_add_http_common_headers(wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, kNoCache, 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    return 0;
}

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto* slot = static_cast<HttpSlot*>(user);
    switch (reason) {
        case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: {
            auto* ctx = static_cast<SSL_CTX*>(user);
            // No TLS 1.3 session tickets: the agents' lws 4.1 cannot resume
            // with them, so each would be ~500 bytes and some server memory
            // per handshake for nothing (reconnects cost bytes on metered links).
            SSL_CTX_set_num_tickets(ctx, 0);
            // --client-certs: name the one CA accepted, so that browsers and
            // tools holding certificates from others do not offer them.
            const std::string& ca = server_of(wsi).options().client_ca_path;
            if (!ca.empty()) {
                STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
                if (!names) return 1;
                SSL_CTX_set_client_CA_list(ctx, names);
            }
            return 0;
        }
        case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION: {
            // OpenSSL's verdict on a client certificate (len: preverify_ok).
            // lws takes 0 as "accept" whatever OpenSSL found, so a failure
            // must be passed on here.
            if (len != 0) return 0;
            auto* store = static_cast<X509_STORE_CTX*>(user);
            int error = X509_STORE_CTX_get_error(store);
            log::info("refusing a client certificate: ", X509_verify_cert_error_string(error), " (depth ",
                      X509_STORE_CTX_get_error_depth(store), ")");
            return 1;
        }
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            server_of(wsi).drain_posted();
            return 0;
        case LWS_CALLBACK_HTTP: {
            if (!slot) return -1;
            delete slot->ex;
            slot->ex = new HttpExchange();
            auto& req = slot->ex->request;
            char* uri = nullptr;
            int uri_len = 0;
            int method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
            req.method = method_name(method);
            req.path = std::string(static_cast<const char*>(in));
            req.query = query_of(wsi);
            req.authorization = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
            req.content_type = header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
            req.accept = header(wsi, WSI_TOKEN_HTTP_ACCEPT);
            req.accept_encoding = header(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING);
            req.if_none_match = header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
            bool has_body = (method == LWSHUMETH_POST || method == LWSHUMETH_PATCH || method == LWSHUMETH_PUT) &&
                            (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
                             lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0);
            if (server_of(wsi).git() && GitEndpoint::handles(req.path)) return begin_git(wsi, *slot->ex, has_body);
            if (wants_event_stream(req)) {
                req.last_event_id = custom_header(wsi, "last-event-id:");
                return begin_stream(wsi, *slot->ex);
            }
            if (req.path == "/api/v1/hooks/git") {
                req.hub_signature_256 = custom_header(wsi, "x-hub-signature-256:");
                req.gitea_signature = custom_header(wsi, "x-gitea-signature:");
                req.gitlab_token = custom_header(wsi, "x-gitlab-token:");
            }
            if (has_body && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) return 0;  // body follows
            slot->ex->response = handle_safely(server_of(wsi), req);
            return send_headers(wsi, *slot->ex);
        }
        case LWS_CALLBACK_HTTP_BODY: {
            if (!slot || !slot->ex) return -1;
            auto& ex = *slot->ex;
            if (ex.replied) return 0;  // answered early: drop the rest
            if (ex.git_body) {
                if (auto ok = ex.git_body->feed(std::string_view(static_cast<const char*>(in), len)); !ok) {
                    ex.git_body.reset();
                    ex.close_after = true;
                    ex.response = git_error(ok.error().message.find("larger than") != std::string::npos ? 413 : 400,
                                            ok.error().message);
                    return send_headers(wsi, ex);
                }
                if (ex.git_body->ended()) return finish_git(wsi, ex);
                return 0;
            }
            if (ex.request.body.size() + len > body_limit(server_of(wsi), ex.request).first) ex.too_large = true;
            else ex.request.body.append(static_cast<const char*>(in), len);
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
            if (!slot || !slot->ex) return -1;
            auto& ex = *slot->ex;
            if (ex.replied) return 0;
            if (ex.git_body) {
                if (!ex.git_body->chunked()) return finish_git(wsi, ex);
                // lws counts a chunked body as 100 MiB: the client sent more than that.
                ex.git_body.reset();
                ex.close_after = true;
                ex.response = git_error(413, "request body is too large for this hub (100 MiB)");
                return send_headers(wsi, ex);
            }
            if (!ex.too_large) ex.response = handle_safely(server_of(wsi), ex.request);
            return send_headers(wsi, ex);
        }
        case LWS_CALLBACK_HTTP_WRITEABLE: {
            if (!slot || !slot->ex || !slot->ex->replied || slot->ex->id) return 0;
            auto& ex = *slot->ex;
            if (ex.stream) return ex.stream->on_writable();
            // The response is out (lws drained its own buffer before calling
            // back): now the connection may close.
            if (ex.final_written) return -1;
            size_t n = std::min(kHttpWriteChunk, ex.response.body.size() - ex.sent);
            bool last = ex.sent + n == ex.response.body.size();
            std::string buf(LWS_PRE + n, '\0');
            std::memcpy(buf.data() + LWS_PRE, ex.response.body.data() + ex.sent, n);
            if (lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE, n,
                          last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < static_cast<int>(n))
                return -1;
            ex.sent += n;
            lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, kHttpStallSeconds);
            if (!last) {
                lws_callback_on_writable(wsi);
                return 0;
            }
            if (ex.close_after) {
                ex.final_written = true;
                lws_callback_on_writable(wsi);
                return 0;
            }
            return complete_transaction(wsi, slot);
        }
        case LWS_CALLBACK_CLOSED_HTTP:
            // lws may report a close with no per-connection memory attached.
            if (slot && slot->ex) {
                if (slot->ex->id) server_of(wsi).forget_response(slot->ex->id);
                delete slot->ex;
                slot->ex = nullptr;
            }
            return 0;
        default: return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const lws_protocols kProtocols[] = {
    {"http", http_callback, sizeof(HttpSlot), 0, 0, nullptr, 0},
    // rx_buffer_size 1024: per-connection memory is a budget, and agents
    // send small frames (statuses, fetches); larger ones are reassembled.
    {"drover.v1", agent_callback, sizeof(WsSlot), 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

struct LwsServer::Timer {
    lws_sorted_usec_list_t sul;  // first member: the callback finds the timer from it
    LwsServer* owner;
    void (*fire)(lws_sorted_usec_list_t*);
};

namespace {

constexpr std::chrono::milliseconds kFeedTick{500};
// Credential rotations started per sweep: each costs a store write on the
// loop, and a fleet registered in one day comes due in one sweep.
constexpr size_t kRotationsPerSweep = 50;

// A few sweeps per idle timeout: a dead link is dropped within 1.25x of it.
std::chrono::milliseconds sweep_interval(std::chrono::milliseconds idle_timeout) {
    return std::clamp(idle_timeout / 4, std::chrono::milliseconds(250), std::chrono::milliseconds(30'000));
}

}  // namespace

LwsServer::LwsServer(Fleet& fleet, ListenOptions options)
    : fleet_(fleet),
      options_(std::move(options)),
      feed_(fleet),
      sweep_(std::make_unique<Timer>()),
      feed_tick_(std::make_unique<Timer>()) {
    for (Timer* t : {sweep_.get(), feed_tick_.get()}) {
        std::memset(&t->sul, 0, sizeof t->sul);
        t->owner = this;
    }
    sweep_->fire = &LwsServer::on_sweep;
    feed_tick_->fire = &LwsServer::on_feed_tick;
}

LwsServer::~LwsServer() {
    if (context_) lws_context_destroy(context_);
}

Result<void> LwsServer::start() {
    lws_set_log_level(LLL_ERR, nullptr);
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = options_.port;  // 0: the kernel picks a free port; read back below
    info.iface = options_.host.c_str();
    info.protocols = kProtocols;
    info.user = this;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.retry_and_idle_policy = &kNoValidityTimers;
    // HTTP/1.1 only. git streams large pushes as chunked HTTP/1.1 bodies,
    // which the Git endpoint decodes itself; over h2 lws 4.1 gives no way
    // to tell a POST with a body from one without (no Content-Length), and
    // nothing the hub serves gains from h2.
    info.alpn = "http/1.1";
    // git holds its connection idle while it builds a pack between ref
    // discovery and the push (seconds for tens of MiB on a busy machine);
    // lws's default of 5 s could close it under git's feet.
    info.keepalive_timeout = 60;
    if (options_.host.find(':') != std::string::npos) info.options &= ~LWS_SERVER_OPTION_DISABLE_IPV6;
    if (options_.tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = options_.cert_path.c_str();
        info.ssl_private_key_filepath = options_.key_path.c_str();
        if (!options_.client_ca_path.empty()) {
            info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT |
                            LWS_SERVER_OPTION_PEER_CERT_NOT_REQUIRED;
            info.ssl_ca_filepath = options_.client_ca_path.c_str();
        }
    }
    context_ = lws_create_context(&info);
    if (!context_)
        return fail(cat("cannot listen on ", options_.host, ":", options_.port,
                        " (address in use, bad address, or unreadable TLS files)"));
    lws_vhost* vh = lws_get_vhost_by_name(context_, "default");
    port_ = vh ? lws_get_vhost_listen_port(vh) : options_.port;
    if (port_ <= 0) return fail(cat("cannot listen on ", options_.host, ":", options_.port));
    schedule(*sweep_, sweep_interval(options_.idle_timeout));
    schedule(*feed_tick_, kFeedTick);
    return {};
}

void LwsServer::schedule(Timer& timer, std::chrono::milliseconds after) {
    lws_sul_schedule(context_, 0, &timer.sul, timer.fire, static_cast<lws_usec_t>(after.count()) * 1000);
}

void LwsServer::on_sweep(lws_sorted_usec_list_t* sul) {
    // sul is the first member of Timer, a standard-layout struct.
    LwsServer* server = reinterpret_cast<Timer*>(sul)->owner;
    try {
        server->sweep_idle();
    } catch (const std::exception& e) {  // a store write (rotations) failed: try again next sweep
        log::error("sweep: ", e.what());
    }
    server->schedule(*server->sweep_, sweep_interval(server->options_.idle_timeout));
}

void LwsServer::on_feed_tick(lws_sorted_usec_list_t* sul) {
    LwsServer* server = reinterpret_cast<Timer*>(sul)->owner;
    try {
        server->feed_.tick();
    } catch (const std::exception& e) {
        log::error("live event streams: ", e.what());
    }
    // Rollouts advance once a second: a step costs about 5 ms per 10,000
    // targeted agents (15 ms when it starts a batch), and soaks and
    // deadlines are counted in seconds or more.
    try {
        if (++server->feed_ticks_ % 2 == 0) server->fleet_.step_rollouts();
    } catch (const std::exception& e) {  // a store write failed: the next tick tries again
        log::error("rollouts: ", e.what());
    }
    server->schedule(*server->feed_tick_, kFeedTick);
}

void LwsServer::sweep_idle() {
    auto idle = static_cast<uint32_t>(options_.idle_timeout.count());
    // drop_if_idle only schedules the close; the set does not change here.
    for (WsConnection* c : connections_) c->drop_if_idle(idle);
    fleet_.rotate_due_credentials(kRotationsPerSweep);
}

void LwsServer::run() {
    while (!stopping_.load()) {
        if (lws_service(context_, 0) < 0) break;
        // Every ready socket was served: store this pass's statuses at once.
        try {
            fleet_.flush_queued();
        } catch (const std::exception& e) {
            log::error("storing statuses failed: ", e.what());
        }
    }
}

void LwsServer::stop() {
    stopping_.store(true);
    if (context_) lws_cancel_service(context_);
}

void LwsServer::post(std::function<void()> fn) {
    {
        std::lock_guard lock(posted_mutex_);
        posted_.push_back(std::move(fn));
    }
    if (context_) lws_cancel_service(context_);
}

uint64_t LwsServer::await_response(lws* wsi) {
    uint64_t id = ++next_exchange_id_;
    awaiting_[id] = wsi;
    return id;
}

void LwsServer::deliver(uint64_t id, HttpResponse response) {
    auto it = awaiting_.find(id);
    if (it == awaiting_.end()) return;  // the client hung up meanwhile
    lws* wsi = it->second;
    awaiting_.erase(it);
    auto* slot = static_cast<HttpSlot*>(lws_wsi_user(wsi));
    if (!slot || !slot->ex) return;
    slot->ex->id = 0;
    slot->ex->response = std::move(response);
    if (send_headers(wsi, *slot->ex) < 0) lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void LwsServer::drain_posted() {
    std::vector<std::function<void()>> work;
    {
        std::lock_guard lock(posted_mutex_);
        work.swap(posted_);
    }
    for (auto& fn : work) {
        try {
            fn();
        } catch (const std::exception& e) {
            log::error("posted work failed: ", e.what());
        }
    }
}

}  // namespace drover::hub
