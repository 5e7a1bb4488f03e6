#include "tools/chaosproxy/options.h"

#include "common/text.h"
#include "tools/chaosproxy/quantities.h"

namespace drover::chaosproxy {

std::string to_string(const Endpoint& endpoint) {
    if (endpoint.host.find(':') != std::string::npos) return cat("[", endpoint.host, "]:", endpoint.port);
    return cat(endpoint.host, ":", endpoint.port);
}

Result<Endpoint> parse_endpoint(std::string_view text, bool port_zero_ok) {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        return fail(cat("bad address ", quoted(text), " (expected HOST:PORT, e.g. 127.0.0.1:7000)"));
    std::string_view host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']')
            return fail(cat("bad address ", quoted(text), " (IPv6 is written [ADDR]:PORT)"));
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return fail(cat("bad address ", quoted(text), " (IPv6 is written [ADDR]:PORT)"));
    }
    auto port = parse_u64(text.substr(colon + 1));
    if (!port || *port > 65535) return fail(cat("bad port in ", quoted(text), " (expected 0-65535)"));
    if (*port == 0 && !port_zero_ok) return fail(cat("bad address ", quoted(text), ": port 0 cannot be dialled"));
    return Endpoint{std::string(host), static_cast<uint16_t>(*port)};
}

std::string usage() {
    return "usage: chaosproxy --listen ADDR:PORT --upstream HOST:PORT [--seed N]\n"
           "                  [--cut-every MIN..MAX] [--stall-every MIN..MAX] [--stall-for MIN..MAX]\n"
           "                  [--delay D] [--rate BYTES_PER_S] [--control ADDR:PORT] [--script FILE]\n"
           "\n"
           "A byte-level TCP relay that breaks links on purpose (TLS passes through untouched).\n"
           "\n"
           "  --listen ADDR:PORT      where clients connect; port 0: the kernel picks\n"
           "  --upstream HOST:PORT    where each connection is relayed to\n"
           "  --seed N                seed of the random chaos (default 1); runs reproduce\n"
           "  --cut-every MIN..MAX    cut each connection after a random lifetime (RST or FIN)\n"
           "  --stall-every MIN..MAX  stall each connection after a random time; again after each stall\n"
           "  --stall-for MIN..MAX    length of a stall (default 30s..60s): both directions are\n"
           "                          read and discarded, nothing is closed\n"
           "  --delay D               forward each byte no earlier than D after reading it\n"
           "  --rate R                per connection and direction: bytes/s, or 64KiB, 1MiB\n"
           "  --control ADDR:PORT     line-based control channel (see README.md)\n"
           "  --script FILE           timed commands: lines \"AT COMMAND\", e.g. \"5s cut\"\n"
           "\n"
           "Durations: 250ms, 5s, 2m. Prints \"listening on ADDR:PORT\" (and \"control on ADDR:PORT\")\n"
           "on stdout once ready.\n";
}

Result<Options> parse_options(std::span<const std::string> args) {
    Options opts;
    bool have_listen = false, have_upstream = false;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--help" || arg == "-h") {
            opts.help = true;
            return opts;
        }
        if (!starts_with(arg, "--")) return fail(cat("unexpected argument ", quoted(arg), " (see --help)"));
        std::string_view name = arg;
        std::string_view value;
        if (size_t eq = arg.find('='); eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
        } else {
            if (i + 1 >= args.size()) return fail(cat(name, " needs a value (see --help)"));
            value = args[++i];
        }
        auto bad = [&](const Error& e) { return fail(cat(name, ": ", e.message)); };
        if (name == "--listen") {
            auto e = parse_endpoint(value, true);
            if (!e) return bad(e.error());
            opts.listen = *e;
            have_listen = true;
        } else if (name == "--upstream") {
            auto e = parse_endpoint(value, false);
            if (!e) return bad(e.error());
            opts.upstream = *e;
            have_upstream = true;
        } else if (name == "--control") {
            auto e = parse_endpoint(value, true);
            if (!e) return bad(e.error());
            opts.control = *e;
        } else if (name == "--seed") {
            auto n = parse_u64(value);
            if (!n) return fail(cat("--seed: bad number ", quoted(value)));
            opts.seed = *n;
        } else if (name == "--cut-every" || name == "--stall-every" || name == "--stall-for") {
            auto r = parse_duration_range(value);
            if (!r) return bad(r.error());
            if (r->max_ms == 0) return fail(cat(name, ": MAX must be more than 0"));
            if (name == "--cut-every") opts.chaos.cut_every = *r;
            else if (name == "--stall-every") opts.chaos.stall_every = *r;
            else opts.chaos.stall_for = *r;
        } else if (name == "--delay") {
            auto d = parse_duration(value);
            if (!d) return bad(d.error());
            opts.delay_ms = *d;
        } else if (name == "--rate") {
            auto r = parse_rate(value);
            if (!r) return bad(r.error());
            opts.rate_bytes_per_s = *r;
        } else if (name == "--script") {
            if (value.empty()) return fail("--script: empty file name");
            opts.script_path = std::string(value);
        } else {
            return fail(cat("unknown option ", quoted(name), " (see --help)"));
        }
    }
    if (!have_listen) return fail("--listen ADDR:PORT is required (see --help)");
    if (!have_upstream) return fail("--upstream HOST:PORT is required (see --help)");
    return opts;
}

}  // namespace drover::chaosproxy
