#include <nlohmann/json.hpp>

#include "hub/server/http_api.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;
using nlohmann::json;

namespace {
struct Api {
    Hub hub;
    std::string admin = "drv_admin_test";
    Api() { hub.store->set_setting("admin_token_sha256", sha256_hex(admin)); }
    HttpResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                      std::optional<std::string> token = std::nullopt) {
        return handle_http(*hub.fleet, {.method = method, .path = path, .authorization = "Bearer " + token.value_or(admin), .body = body});
    }
    json ok(const std::string& method, const std::string& path, const std::string& body = "") {
        auto r = call(method, path, body);
        INFO(r.body);
        CHECK(r.status < 300);
        return json::parse(r.body);
    }
};
}  // namespace

TEST_CASE("the API refuses missing and wrong tokens") {
    Api api;
    CHECK(api.call("GET", "/api/v1/status", "", "wrong").status == 401);
    CHECK(handle_http(*api.hub.fleet, {.method = "GET", .path = "/api/v1/status"}).status == 401);
    CHECK(handle_http(*api.hub.fleet, {.method = "GET", .path = "/healthz"}).status == 200);
}

TEST_CASE("token create validates its input and the token registers an agent with its labels") {
    Api api;
    auto j = api.ok("POST", "/api/v1/tokens", R"({"labels":{"site":"lab"},"uses":1,"ttl":"1h"})");
    CHECK(j["uses"] == 1);
    CHECK(j["token"].get<std::string>().rfind("drv_reg_", 0) == 0);
    auto t = api.hub.store->consume_token(sha256_hex(j["token"].get<std::string>()), api.hub.now);
    REQUIRE(t);
    CHECK(t->labels.at("site") == "lab");
    CHECK(*t->expires_ms == api.hub.now + 3'600'000);

    CHECK(api.call("POST", "/api/v1/tokens", R"({"uses":0})").status == 400);
    CHECK(api.call("POST", "/api/v1/tokens", R"({"ttl":"forever"})").status == 400);
    CHECK(api.call("POST", "/api/v1/tokens", R"({"labels":{"bad key":"x"}})").status == 400);
    CHECK(api.call("POST", "/api/v1/tokens", "{not json").status == 400);
    CHECK(api.call("POST", "/api/v1/tokens", "[1]").status == 400);
    auto r = api.call("GET", "/api/v1/tokens");
    CHECK(r.status == 405);
    CHECK(json::parse(r.body)["error"].is_string());
}

TEST_CASE("status counts Ready, Pending and OutOfSync per bundle and shows a refused commit") {
    Api api;
    MemoryTransport t1, t2;
    AgentSession s1(*api.hub.fleet, t1), s2(*api.hub.fleet, t2);
    s1.on_frame(hello_frame("gw1", {{"role", "gw"}}, api.hub.token()));
    s2.on_frame(hello_frame("gw2", {{"role", "gw"}}, api.hub.token()));
    auto desired = t1.take().at(1).desired().bundles(0);
    v1::Envelope env;
    auto* st = env.mutable_status();
    st->set_seq(1);
    st->set_bundle("web");
    st->set_digest(desired.digest());
    st->set_revision(desired.revision());
    st->set_state(v1::READY);
    s1.on_frame(wire::encode(env));
    api.hub.fleet->flush_queued();

    auto j = api.ok("GET", "/api/v1/status");
    auto& web = j["bundles"][0];
    CHECK(web["name"] == "web");
    CHECK(web["targeted"] == 2);
    CHECK(web["ready"] == 1);
    CHECK(web["states"]["Pending"] == 1);

    // A new revision changes the spec: gw1's Ready is now for an old digest.
    render::FileMap files = kFleetFiles;
    files["web/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '2'}\n";
    api.hub.deploy(files, "4444444444444444444444444444444444444444");
    api.hub.fleet->set_rejection(Rejection{"5555", "web/bundle.yaml:3: bad"});
    j = api.ok("GET", "/api/v1/status");
    CHECK(j["bundles"][0]["ready"] == 0);
    CHECK(j["bundles"][0]["states"]["OutOfSync"] == 1);
    CHECK(j["revision"]["commit"] == "4444444444444444444444444444444444444444");
    CHECK(j["revision"]["error"]["message"] == "web/bundle.yaml:3: bad");
    for (auto& a : j["agents"]) CHECK(a["online"] == true);
}

TEST_CASE("label changes set and remove labels, refuse bad ones, and 404 unknown agents") {
    Api api;
    MemoryTransport t;
    AgentSession s(*api.hub.fleet, t);
    s.on_frame(hello_frame("gw1", {{"role", "gw"}, {"zone", "a"}}, api.hub.token()));
    api.hub.fleet->flush_queued();  // the event loop does this after each pass
    auto j = api.ok("PATCH", "/api/v1/agents/gw1/labels", R"({"set":{"size":"small"},"remove":["zone"]})");
    CHECK(j["labels"] == json({{"role", "gw"}, {"size", "small"}}));
    CHECK(api.call("PATCH", "/api/v1/agents/gw1/labels", R"({"set":{"size":"no good"}})").status == 400);
    CHECK(api.call("PATCH", "/api/v1/agents/gw1/labels", R"({"remove":"zone"})").status == 400);
    CHECK(api.call("PATCH", "/api/v1/agents/nobody/labels", R"({"set":{"a":"b"}})").status == 404);
    CHECK(api.call("POST", "/api/v1/agents/gw1/labels", "{}").status == 405);
}

TEST_CASE("paths and stored messages that are not UTF-8 never break a JSON answer") {
    Api api;
    auto r = api.call("GET", "/api/v1/\xff\xfe");
    CHECK(r.status == 404);
    CHECK_FALSE(json::parse(r.body, nullptr, false).is_discarded());
    r = handle_http(*api.hub.fleet, {.method = "GET", .path = "/\xff"});
    CHECK(r.status == 404);
    auto a = api.hub.store->register_agent("edge", "c", {}, 1);
    StatusRecord st;
    st.bundle = "web";
    st.seq = 1;
    st.state = "Failed";
    st.message = "broken \xc3";
    api.hub.store->record_statuses(a.id, {st}, 1);
    r = api.call("GET", "/api/v1/status");
    CHECK(r.status == 200);
    CHECK_FALSE(json::parse(r.body, nullptr, false).is_discarded());
}
