#pragma once
// Files the hub serves as they are (the dashboard): embedded in the binary at
// build time by hub/dashboard/embed.py, so the hub needs no files on disk and
// the dashboard works with no internet.
#include <optional>
#include <span>
#include <string_view>

#include "hub/server/http_message.h"

namespace drover::hub {

struct StaticAsset {
    std::string_view path;  // "/index.html"
    std::string_view content_type;
    std::string_view body;
    std::string_view gzip_body;  // the same bytes, gzip-compressed
    std::string_view etag;       // quoted, as sent
};

// The generated table (dashboard_assets.cpp).
std::span<const StaticAsset> dashboard_assets();

// GET /NAME answers with the asset named NAME ("/" is /index.html): 304 when
// If-None-Match has its ETag, gzip when Accept-Encoding allows it; browsers
// revalidate each load (no-cache) and may only run the hub's own scripts
// (Content-Security-Policy). nullopt when no asset has that path.
std::optional<HttpResponse> serve_static(const HttpRequest& request, std::span<const StaticAsset> assets);

}  // namespace drover::hub
