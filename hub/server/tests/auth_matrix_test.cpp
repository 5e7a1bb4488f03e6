// Every API route against every kind of credential: who may do what is
// decided in one place (http_api.cpp); this checks no route escapes it.
#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/text.h"
#include "hub/server/credentials.h"
#include "hub/server/http_api.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;
using nlohmann::json;

namespace {

struct Route {
    const char* method;
    const char* path;
    const char* body;
};

// Every route under /api/v1 (and /metrics), with a body that would be accepted.
const Route kRoutes[] = {
    {"GET", "/api/v1/status", ""},
    {"GET", "/api/v1/summary", ""},
    {"GET", "/api/v1/agents", ""},
    {"GET", "/api/v1/agents/edge", ""},
    {"PATCH", "/api/v1/agents/edge/labels", R"({"set":{"a":"b"}})"},
    {"POST", "/api/v1/agents/edge/rotate-credential", ""},
    {"POST", "/api/v1/agents/edge/revoke", ""},
    {"GET", "/api/v1/bundles", ""},
    {"GET", "/api/v1/bundles/web", ""},
    {"GET", "/api/v1/events", ""},
    {"GET", "/api/v1/tokens", ""},
    {"POST", "/api/v1/tokens", R"({"kind":"viewer"})"},
    {"DELETE", "/api/v1/tokens/tok_none", ""},
    {"GET", "/metrics", ""},
};

struct Credentials {
    Hub hub;
    std::string admin = "drv_admin_matrix";
    std::map<std::string, std::string> tokens;  // what -> Authorization header

    struct Created {
        std::string id, secret;
    };
    Created create(const std::string& body) {
        HttpRequest req{.method = "POST", .path = "/api/v1/tokens", .authorization = "Bearer " + admin, .body = body};
        auto r = handle_http(*hub.fleet, req);
        REQUIRE(r.status == 201);
        auto j = json::parse(r.body);
        return {j["id"], j["token"]};
    }
    std::string revoked(const std::string& body) {
        auto t = create(body);
        HttpRequest del{.method = "DELETE", .path = "/api/v1/tokens/" + t.id, .authorization = "Bearer " + admin};
        REQUIRE(handle_http(*hub.fleet, del).status == 200);
        return t.secret;
    }

    Credentials() {
        hub.store->set_setting("admin_token_sha256", sha256_hex(admin));
        hub.store->register_agent("edge", "cred", {}, hub.now);
        hub.fleet->store_changed();
        tokens["none"] = "";
        tokens["basic"] = "Basic " + admin;
        tokens["wrong"] = "Bearer drv_admin_wrong";
        tokens["registration"] = "Bearer " + create(R"({"kind":"registration"})").secret;
        tokens["revoked viewer"] = "Bearer " + revoked(R"({"kind":"viewer"})");
        tokens["revoked push"] = "Bearer " + revoked(R"({"kind":"push"})");
        tokens["expired viewer"] = "Bearer " + create(R"({"kind":"viewer","ttl":"1s"})").secret;
        tokens["expired push"] = "Bearer " + create(R"({"kind":"push","ttl":"1s"})").secret;
        tokens["viewer"] = "Bearer " + create(R"({"kind":"viewer","ttl":"1h"})").secret;
        tokens["push"] = "Bearer " + create(R"({"kind":"push"})").secret;
        hub.now += 2'000;  // the 1 s tokens expire
    }
    HttpResponse call(const Route& route, const std::string& authorization) {
        return handle_http(*hub.fleet,
                           {.method = route.method, .path = route.path, .authorization = authorization, .body = route.body});
    }
};

bool is_json_error(const HttpResponse& r) {
    if (r.content_type != "application/json") return false;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") && j["error"].is_string() && !j["error"].get<std::string>().empty();
}

}  // namespace

TEST_CASE("every route refuses missing, wrong, revoked, expired and registration tokens with 401") {
    Credentials c;
    for (auto& route : kRoutes) {
        for (auto what : {"none", "basic", "wrong", "registration", "revoked viewer", "revoked push", "expired viewer",
                          "expired push"}) {
            INFO(route.method, " ", route.path, " with ", what);
            auto r = c.call(route, c.tokens[what]);
            CHECK(r.status == 401);
            CHECK(is_json_error(r));
        }
    }
}

TEST_CASE("push tokens are refused on every API route; viewers may only read") {
    Credentials c;
    for (auto& route : kRoutes) {
        INFO(route.method, " ", route.path);
        auto pushed = c.call(route, c.tokens["push"]);
        CHECK(pushed.status == 403);
        CHECK(is_json_error(pushed));
        auto viewed = c.call(route, c.tokens["viewer"]);
        if (std::string_view(route.method) == "GET") {
            CHECK(viewed.status == 200);
        } else {
            CHECK(viewed.status == 403);
            CHECK(is_json_error(viewed));
        }
    }
}

TEST_CASE("the admin token reaches every route") {
    Credentials c;
    for (auto& route : kRoutes) {
        INFO(route.method, " ", route.path);
        auto r = c.call(route, "Bearer " + c.admin);
        CHECK(r.status != 401);
        CHECK(r.status != 403);
    }
}

TEST_CASE("the live event stream takes the same credentials as the API") {
    Credentials c;
    HttpRequest req{.method = "GET", .path = "/api/v1/events", .accept = "text/event-stream"};
    for (auto what : {"none", "basic", "wrong", "registration", "revoked viewer", "revoked push", "expired viewer",
                      "expired push"}) {
        INFO(what);
        req.authorization = c.tokens[what];
        auto r = event_stream_options(*c.hub.fleet, req);
        REQUIRE_FALSE(r);
        CHECK(r.error().status == 401);
    }
    req.authorization = c.tokens["push"];
    CHECK(event_stream_options(*c.hub.fleet, req).error().status == 403);
    req.authorization = c.tokens["viewer"];
    auto options = event_stream_options(*c.hub.fleet, req);
    REQUIRE(options);
    CHECK_FALSE(options->refused());
    c.hub.now += 3'600'000;  // the 1 h viewer token expires while its stream runs
    auto why = options->refused();
    REQUIRE(why);
    CHECK(why->find("expired") != std::string::npos);
}

TEST_CASE("git takes only the admin and live push tokens") {
    Credentials c;
    CHECK(identify(*c.hub.fleet, "Bearer " + c.admin));
    CHECK(identify(*c.hub.fleet, c.tokens["push"]));
    for (auto what : {"none", "wrong", "registration", "viewer", "revoked push", "expired push"}) {
        INFO(what);
        CHECK_FALSE(identify(*c.hub.fleet, c.tokens[what]));
    }
}
