#include <doctest/doctest.h>

#include "hub/server/static_assets.h"

using namespace drover::hub;

namespace {

const StaticAsset kAssets[] = {
    {"/index.html", "text/html; charset=utf-8", "<p>hi</p>", "GZ-index", "\"abc\""},
    {"/app.js", "text/javascript; charset=utf-8", "let x = 1;", "GZ-app", "\"def\""},
};

HttpRequest get(const std::string& path) { return {.method = "GET", .path = path}; }

std::string header(const HttpResponse& r, const std::string& name) {
    for (auto& [n, v] : r.headers)
        if (n == name) return v;
    return "";
}

}  // namespace

TEST_CASE("/ serves index.html and other names their file; unknown paths are left to the API") {
    auto index = serve_static(get("/"), kAssets);
    REQUIRE(index);
    CHECK(index->status == 200);
    CHECK(index->body == "<p>hi</p>");
    CHECK(index->content_type == "text/html; charset=utf-8");
    CHECK(header(*index, "content-security-policy").starts_with("default-src 'self'"));
    CHECK(header(*index, "etag") == "\"abc\"");
    CHECK(serve_static(get("/app.js"), kAssets)->body == "let x = 1;");
    CHECK_FALSE(serve_static(get("/api/v1/status"), kAssets));
    CHECK_FALSE(serve_static(get("/app.js/x"), kAssets));
    CHECK_FALSE(serve_static(get("/../index.html"), kAssets));
}

TEST_CASE("gzip is sent only to clients that accept it") {
    auto req = get("/app.js");
    req.accept_encoding = "br, gzip;q=0.8";
    auto r = serve_static(req, kAssets);
    CHECK(r->body == "GZ-app");
    CHECK(header(*r, "content-encoding") == "gzip");
    req.accept_encoding = "gzip;q=0, deflate";
    CHECK(serve_static(req, kAssets)->body == "let x = 1;");
    req.accept_encoding = "";
    CHECK(header(*serve_static(req, kAssets), "content-encoding").empty());
}

TEST_CASE("a cached copy is revalidated with its ETag; other methods are refused") {
    auto req = get("/index.html");
    req.if_none_match = "\"zzz\", W/\"abc\"";
    auto r = serve_static(req, kAssets);
    CHECK(r->status == 304);
    CHECK(r->body.empty());
    req.if_none_match = "\"zzz\"";
    CHECK(serve_static(req, kAssets)->status == 200);
    auto post = get("/");
    post.method = "POST";
    CHECK(serve_static(post, kAssets)->status == 405);
}

TEST_CASE("the hub carries the dashboard: index.html, its script and its styles") {
    auto assets = dashboard_assets();
    for (auto name : {"/index.html", "/app.js", "/style.css"}) {
        auto r = serve_static(get(name), assets);
        REQUIRE_MESSAGE(r, name);
        CHECK(r->status == 200);
    }
}
