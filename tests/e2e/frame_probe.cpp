// frame_probe: a deliberately misbehaving agent for end-to-end tests. It
// connects to wss://HOST:PORT/v1/agent, sends one binary frame whose bytes are
// given in hex (or a frame of N bytes with "size:N"), and prints what the hub
// answered: "close: <reason>" for a drover Close message, then "closed".
//   frame_probe HOST PORT CA_FILE HEX|size:N
#include <libwebsockets.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/text.h"
#include "proto/frame.h"

namespace {

std::string g_payload;
std::string g_rx;
bool g_done = false;
bool g_sent = false;

int callback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_CLIENT_ESTABLISHED: lws_callback_on_writable(wsi); break;
        case LWS_CALLBACK_CLIENT_WRITEABLE: {
            // Once: lws calls this again when a large write has drained, and
            // a second frame still in flight when the hub hangs up makes its
            // kernel reset the connection, losing the hub's answer.
            if (g_sent) break;
            g_sent = true;
            std::string buf(LWS_PRE, '\0');
            buf += g_payload;
            lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE, g_payload.size(), LWS_WRITE_BINARY);
            break;
        }
        case LWS_CALLBACK_CLIENT_RECEIVE:
            g_rx.append(static_cast<const char*>(in), len);
            if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
                if (auto env = drover::wire::decode(g_rx); env && env->has_close())
                    std::printf("close: %s\n", env->close().reason().c_str());
                else
                    std::printf("frame: %zu bytes\n", g_rx.size());
                g_rx.clear();
            }
            break;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            std::printf("connection error: %s\n", in ? static_cast<const char*>(in) : "");
            g_done = true;
            break;
        case LWS_CALLBACK_CLIENT_CLOSED: g_done = true; break;
        default: break;
    }
    return 0;
}

const lws_protocols kProtocols[] = {{"drover.v1", callback, 0, 0, 0, nullptr, 0}, {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: frame_probe HOST PORT CA_FILE HEX|size:N\n");
        return 2;
    }
    std::string spec = argv[4];
    if (drover::starts_with(spec, "size:")) {
        g_payload.assign(drover::parse_u64(spec.substr(5)).value_or(0), 'x');
    } else if (auto bytes = drover::hex_decode(spec)) {
        g_payload = *bytes;
    } else {
        std::fprintf(stderr, "frame_probe: bad hex\n");
        return 2;
    }
    lws_set_log_level(LLL_ERR, nullptr);
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kProtocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    info.client_ssl_ca_filepath = argv[3];
    lws_context* ctx = lws_create_context(&info);
    if (!ctx) return 1;
    lws_client_connect_info ci;
    std::memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = argv[1];
    ci.port = std::atoi(argv[2]);
    ci.path = "/v1/agent";
    ci.host = argv[1];
    ci.origin = argv[1];
    ci.protocol = "drover.v1";
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (!lws_client_connect_via_info(&ci)) return 1;
    // Bounded by time, not by passes: lws_service() may return at once many
    // times while a large frame drains, and a loaded hub answers late.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!g_done && std::chrono::steady_clock::now() < deadline) lws_service(ctx, 0);
    std::printf("closed\n");
    lws_context_destroy(ctx);
    return 0;
}
