#include "agent/session/hub_url.h"

#include "common/text.h"

namespace drover::session {

std::string HubUrl::to_string() const {
    bool v6 = host.find(':') != std::string::npos;
    return cat(tls ? "wss://" : "ws://", v6 ? "[" : "", host, v6 ? "]" : "", ":", port, path);
}

Result<HubUrl> parse_hub_url(std::string_view url) {
    HubUrl out;
    std::string_view rest;
    if (starts_with(url, "wss://")) {
        out.tls = true;
        out.port = 443;
        rest = url.substr(6);
    } else if (starts_with(url, "ws://")) {
        out.tls = false;
        out.port = 80;
        rest = url.substr(5);
    } else {
        return fail(cat("hub URL ", quoted(url), " must start with wss:// (or ws:// with --insecure)"));
    }
    if (rest.find_first_of("?#") != std::string_view::npos)
        return fail(cat("hub URL ", quoted(url), " must not have a query or fragment"));
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        std::string_view path = rest.substr(slash);
        if (path != "/") out.path = std::string(path);
    }
    if (authority.find('@') != std::string_view::npos)
        return fail(cat("hub URL ", quoted(url), " must not contain user info"));
    std::string_view port_text;
    if (starts_with(authority, "[")) {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return fail(cat("hub URL ", quoted(url), " has an unclosed [ in its host"));
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return fail(cat("hub URL ", quoted(url), " has junk after its host"));
            port_text = after.substr(1);
            if (port_text.empty()) return fail(cat("hub URL ", quoted(url), " has an empty port"));
        }
    } else {
        size_t colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return fail(cat("hub URL ", quoted(url), " has an empty port"));
        }
    }
    if (out.host.empty()) return fail(cat("hub URL ", quoted(url), " has no host"));
    for (char c : out.host)
        if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\')
            return fail(cat("hub URL ", quoted(url), " has an invalid host"));
    if (!port_text.empty()) {
        auto port = parse_u64(port_text);
        if (!port || *port == 0 || *port > 65535)
            return fail(cat("hub URL ", quoted(url), " has an invalid port ", quoted(port_text)));
        out.port = static_cast<int>(*port);
    }
    for (char c : out.path)
        if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
            return fail(cat("hub URL ", quoted(url), " has an invalid path"));
    return out;
}

}  // namespace drover::session
