#include "hub/server/static_assets.h"

#include "common/text.h"

namespace drover::hub {

namespace {

// Accept-Encoding lists gzip (or *) without q=0.
bool accepts_gzip(std::string_view header) {
    for (auto item : split(header, ',')) {
        auto parts = split(item, ';');
        auto coding = trim(parts[0]);
        if (coding != "gzip" && coding != "*") continue;
        bool refused = false;
        for (size_t i = 1; i < parts.size(); ++i) {
            auto param = trim(parts[i]);
            if (param.starts_with("q=")) {
                auto q = param.substr(2);
                refused = q.find_first_not_of("0.") == std::string_view::npos;
            }
        }
        if (!refused) return true;
    }
    return false;
}

bool etag_matches(std::string_view header, std::string_view etag) {
    if (trim(header) == "*") return true;
    for (auto item : split(header, ',')) {
        auto tag = trim(item);
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag) return true;
    }
    return false;
}

}  // namespace

std::optional<HttpResponse> serve_static(const HttpRequest& req, std::span<const StaticAsset> assets) {
    std::string_view path = req.path == "/" ? "/index.html" : std::string_view(req.path);
    const StaticAsset* asset = nullptr;
    for (auto& a : assets)
        if (a.path == path) asset = &a;
    if (!asset) return std::nullopt;
    if (req.method != "GET") return HttpResponse{405, "text/plain", cat("use GET for ", asset->path, "\n"), {}};
    HttpResponse r{200, std::string(asset->content_type), {}, {}};
    r.headers = {{"etag", std::string(asset->etag)},
                 {"cache-control", "no-cache"},
                 {"vary", "accept-encoding"},
                 {"x-content-type-options", "nosniff"},
                 {"referrer-policy", "no-referrer"},
                 {"x-frame-options", "DENY"},
                 {"content-security-policy",
                  "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"}};
    if (!req.if_none_match.empty() && etag_matches(req.if_none_match, asset->etag)) {
        r.status = 304;
        return r;
    }
    if (accepts_gzip(req.accept_encoding)) {
        r.body = asset->gzip_body;
        r.headers.emplace_back("content-encoding", "gzip");
    } else {
        r.body = asset->body;
    }
    return r;
}

}  // namespace drover::hub
