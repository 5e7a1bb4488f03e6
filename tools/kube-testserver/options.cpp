#include "tools/kube-testserver/options.h"

#include "common/text.h"

namespace drover::kts {

std::string usage() {
    return "usage: kube-testserver [--listen ADDR:PORT] [--write-kubeconfig FILE] [--auth token|cert]\n"
           "                       [--token TOKEN] [--crd-establishment auto|manual] [--crd-establish-delay D]\n"
           "                       [--verbose]\n"
           "\n"
           "A Kubernetes API server for tests: discovery, CRUD, server-side apply with managedFields and\n"
           "conflicts, watches, a /status subresource and /testserver/ controls (see README.md). Objects\n"
           "live in memory only.\n"
           "\n"
           "  --listen ADDR:PORT          where to serve HTTPS (default 127.0.0.1:0; port 0: a free one)\n"
           "  --write-kubeconfig FILE     write a kubeconfig (mode 0600) for the server: its CA and a user\n"
           "  --auth token|cert           the kubeconfig user authenticates with a bearer token (default)\n"
           "                              or a client certificate; the server accepts both either way\n"
           "  --token TOKEN               the bearer token (default: a random one)\n"
           "  --crd-establishment MODE    auto (default): CRDs become Established by themselves;\n"
           "                              manual: only by POST /testserver/crds/NAME/establish or a\n"
           "                              status update\n"
           "  --crd-establish-delay D     in auto mode, after D (500ms, 2s, or milliseconds; default 0)\n"
           "  --verbose                   log every request on stderr\n"
           "\n"
           "Prints \"listening on https://ADDR:PORT\" on stdout once it accepts connections.\n";
}

Result<Options> parse_options(std::span<const std::string> args) {
    Options opts;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::optional<std::string> inline_value;
        if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        auto value = [&]() -> Result<std::string> {
            if (inline_value) return *inline_value;
            if (i + 1 >= args.size()) return fail(cat(arg, " needs a value"));
            return args[++i];
        };
        if (arg == "--help" || arg == "-h") {
            opts.help = true;
        } else if (arg == "--verbose" || arg == "-v") {
            opts.verbose = true;
        } else if (arg == "--listen") {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            size_t colon = v->rfind(':');
            if (colon == std::string::npos || colon == 0)
                return fail(cat("--listen ", quoted(*v), ": expected ADDR:PORT, e.g. 127.0.0.1:0"));
            std::string host = v->substr(0, colon);
            if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
            auto port = parse_u64(v->substr(colon + 1));
            if (!port || *port > 65535) return fail(cat("--listen ", quoted(*v), ": port must be 0-65535"));
            opts.host = host;
            opts.port = static_cast<uint16_t>(*port);
        } else if (arg == "--write-kubeconfig") {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            if (v->empty()) return fail("--write-kubeconfig needs a file name");
            opts.kubeconfig_path = *v;
        } else if (arg == "--auth") {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            if (*v == "token")
                opts.auth = AuthMode::token;
            else if (*v == "cert")
                opts.auth = AuthMode::cert;
            else
                return fail(cat("--auth ", quoted(*v), ": expected token or cert"));
        } else if (arg == "--token") {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            if (v->empty() || v->find_first_of(" \t\r\n\"'") != std::string::npos)
                return fail("--token must be non-empty, without whitespace or quotes");
            opts.token = *v;
        } else if (arg == "--crd-establishment") {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            if (*v == "auto")
                opts.crd_auto_establish = true;
            else if (*v == "manual")
                opts.crd_auto_establish = false;
            else
                return fail(cat("--crd-establishment ", quoted(*v), ": expected auto or manual"));
        } else if (arg == "--crd-establish-delay") {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            auto ms = parse_duration_ms(*v);
            if (!ms) {
                auto bare = parse_u64(*v);  // plain milliseconds
                if (bare && *bare <= 3'600'000) ms = static_cast<int64_t>(*bare);
            }
            if (!ms || *ms < 0 || *ms > 3'600'000)
                return fail(cat("--crd-establish-delay ", quoted(*v), ": expected a duration up to 1h, e.g. 500ms"));
            opts.crd_establish_delay = std::chrono::milliseconds(*ms);
        } else {
            return fail(cat("unknown argument ", quoted(arg), " (see --help)"));
        }
    }
    return opts;
}

}  // namespace drover::kts
