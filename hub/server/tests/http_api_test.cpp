#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "hub/server/api_fleet_state.h"
#include "hub/server/api_label_selector.h"
#include "hub/server/api_query.h"
#include "hub/server/credentials.h"
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
    HttpResponse get(const std::string& path, const std::string& query = "",
                     std::optional<std::string> token = std::nullopt) {
        return handle_http(*hub.fleet, {.method = "GET", .path = path, .query = query,
                                        .authorization = "Bearer " + token.value_or(admin)});
    }
    json ok_get(const std::string& path, const std::string& query = "") {
        auto r = get(path, query);
        INFO(r.body);
        CHECK(r.status == 200);
        return json::parse(r.body);
    }
    // An agent in the store only (no session: offline), with a status for
    // "web" when state is given; in sync unless digest is given.
    std::string agent(const std::string& name, const Labels& labels, const std::string& state = "",
                      std::optional<std::string> digest = std::nullopt) {
        auto a = hub.store->register_agent(name, "cred", labels, hub.now);
        if (!state.empty()) {
            StatusRecord st;
            st.bundle = "web";
            st.seq = 1;
            st.state = state;
            st.message = state + " here";
            st.revision = hub.fleet->deployment()->commit;
            st.digest = digest.value_or(hex_encode(hub.fleet->deployment()->desired_digest("web", labels, name)));
            hub.store->record_statuses(a.id, {st}, 1);
        }
        hub.fleet->store_changed();
        return a.id;
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
    auto r = api.call("PUT", "/api/v1/tokens");
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

TEST_CASE("the summary counts agents online and offline and bundles healthy and degraded") {
    Api api;
    auto j = api.ok_get("/api/v1/summary");
    CHECK(j["agents"] == json{{"registered", 0}, {"online", 0}, {"offline", 0}});
    CHECK(j["bundles"] == json{{"total", 1}, {"healthy", 1}, {"degraded", 0}});  // targets nobody yet
    api.agent("gw-ready", {{"role", "gw"}}, "Ready");
    api.agent("other", {{"role", "db"}});
    j = api.ok_get("/api/v1/summary");
    CHECK(j["agents"] == json{{"registered", 2}, {"online", 0}, {"offline", 2}});
    CHECK(j["bundles"]["healthy"] == 1);
    api.agent("gw-failed", {{"role", "gw"}}, "Failed");
    j = api.ok_get("/api/v1/summary");
    CHECK(j["bundles"] == json{{"total", 1}, {"healthy", 0}, {"degraded", 1}});
    CHECK(j["revision"]["commit"] == "1111111111111111111111111111111111111111");
    CHECK(api.call("POST", "/api/v1/summary").status == 405);
}

TEST_CASE("a live event stream takes the API's tokens and a since id from the query or Last-Event-ID") {
    Api api;
    HttpRequest req{.method = "GET", .path = "/api/v1/events", .accept = "text/event-stream"};
    CHECK(wants_event_stream(req));
    CHECK_FALSE(wants_event_stream({.method = "GET", .path = "/api/v1/events", .accept = "application/json"}));
    CHECK(event_stream_options(*api.hub.fleet, req).error().status == 401);
    req.authorization = "Bearer " + api.admin;
    req.last_event_id = "41";
    auto options = event_stream_options(*api.hub.fleet, req);
    REQUIRE(options);
    CHECK(options->since == 41);
    req.query = "since=7&kind=push";
    options = event_stream_options(*api.hub.fleet, req);
    CHECK(options->since == 7);
    CHECK(options->kind == "push");
    req.query = "since=-1";
    auto bad = event_stream_options(*api.hub.fleet, req);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().status == 400);
    CHECK(bad.error().body.find("since") != std::string::npos);
    req.query = "follow=1";
    CHECK(event_stream_options(*api.hub.fleet, req).error().status == 400);
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
    api.hub.fleet->store_changed();
    r = api.call("GET", "/api/v1/status");
    CHECK(r.status == 200);
    CHECK_FALSE(json::parse(r.body, nullptr, false).is_discarded());
}

namespace {
std::vector<std::string> names_of(const json& items) {
    std::vector<std::string> out;
    for (auto& a : items) out.push_back(a["name"]);
    return out;
}
}  // namespace

TEST_CASE("the agents list is sorted by name and its cursor walks every page exactly once") {
    Api api;
    for (auto n : {"e", "c", "a", "d", "b"}) api.agent(n, {{"role", "gw"}});
    std::vector<std::string> seen;
    std::string query = "limit=2";
    for (int page = 0; page < 10; ++page) {
        auto j = api.ok_get("/api/v1/agents", query);
        CHECK(j["total"] == 5);
        for (auto& n : names_of(j["items"])) seen.push_back(n);
        if (j["continue"].is_null()) break;
        CHECK(j["items"].size() == 2);
        query = "limit=2&continue=" + j["continue"].get<std::string>();
    }
    CHECK(seen == std::vector<std::string>{"a", "b", "c", "d", "e"});
    CHECK(api.ok_get("/api/v1/agents", "limit=5")["continue"].is_null());
    CHECK(api.ok_get("/api/v1/agents", "continue=" + encode_cursor("c"))["items"].size() == 2);
}

TEST_CASE("the agents list filters by label selector and by shown state") {
    Api api;
    api.agent("eu-ready", {{"role", "gw"}, {"region", "eu"}}, "Ready");
    api.agent("us-failed", {{"role", "gw"}, {"region", "us"}}, "Failed");
    api.agent("us-old", {{"role", "gw"}, {"region", "us"}}, "Ready", "00ff");
    api.agent("db", {{"role", "db"}});
    MemoryTransport t;
    AgentSession s(*api.hub.fleet, t);
    s.on_frame(hello_frame("live", {{"role", "gw"}, {"region", "us"}}, api.hub.token()));
    api.hub.fleet->flush_queued();

    auto names = [&](const std::string& q) { return names_of(api.ok_get("/api/v1/agents", q)["items"]); };
    using V = std::vector<std::string>;
    CHECK(names("selector=role%3Dgw,region!%3Deu") == V{"live", "us-failed", "us-old"});
    CHECK(names("selector=region+in+(eu,%20us),role==gw") == V{"eu-ready", "live", "us-failed", "us-old"});
    CHECK(names("selector=!region") == V{"db"});
    CHECK(names("selector=role+notin+(gw)") == V{"db"});
    CHECK(names("selector=region") == V{"eu-ready", "live", "us-failed", "us-old"});
    CHECK(names("state=Ready") == V{"eu-ready"});
    CHECK(names("state=Failed") == V{"us-failed"});
    CHECK(names("state=OutOfSync") == V{"us-old"});
    CHECK(names("state=Pending") == V{"live"});
    CHECK(names("state=Offline") == V{"db", "eu-ready", "us-failed", "us-old"});
    CHECK(names("state=Offline&selector=region%3Dus") == V{"us-failed", "us-old"});
    auto j = api.ok_get("/api/v1/agents", "state=Offline&selector=role%3Dgw&limit=1");
    CHECK(j["total"] == 3);
    CHECK(names_of(j["items"]) == V{"eu-ready"});
}

TEST_CASE("bad selectors, states, limits, cursors and parameters are 400 with a reason") {
    Api api;
    api.agent("a", {{"role", "gw"}});
    for (const char* q : {"selector=role%3D%3D%3Dgw", "selector=role+in+gw", "selector=role+in+(gw", "selector=,",
                          "selector=role%3Dgw,", "selector=bad%20key%3Dx", "selector=role%3Dno%20good",
                          "state=Sleeping", "limit=0", "limit=1001", "limit=ten", "continue=", "continue=%2F%2F",
                          "continue=QQ=", "continue=QR", "colour=red", "limit=1&limit=2", "selector=%zz"}) {
        auto r = api.get("/api/v1/agents", q);
        INFO(q, " -> ", r.body);
        CHECK(r.status == 400);
        CHECK(json::parse(r.body)["error"].get<std::string>().size() > 10);
    }
    auto bad = parse_label_selector("role=gw,region foo");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "bad label selector at character 16: expected =, ==, !=, in or notin, found \"foo\"");
    CHECK(parse_label_selector("a=b c").error().message ==
          "bad label selector at character 5: expected ',' or the end, found \"c\"");
    auto ok = parse_label_selector(" role = gw , tier notin (a,b) , !legacy ");
    REQUIRE(ok);
    CHECK(ok->matches({{"role", "gw"}, {"tier", "c"}}));
    CHECK_FALSE(ok->matches({{"role", "gw"}, {"tier", "a"}}));
    CHECK_FALSE(ok->matches({{"role", "gw"}, {"legacy", ""}}));
    CHECK(decode_cursor(encode_cursor("edge-0042/é")).value() == "edge-0042/é");
}

TEST_CASE("one agent by name shows labels, facts, presence and its bundles; unknown names are 404") {
    Api api;
    MemoryTransport t;
    AgentSession s(*api.hub.fleet, t);
    s.on_frame(hello_frame("gw1", {{"role", "gw"}}, api.hub.token()));
    api.hub.fleet->flush_queued();
    api.agent("gone", {{"role", "gw"}}, "NotReady");

    auto j = api.ok_get("/api/v1/agents/gw1");
    CHECK(j["name"] == "gw1");
    CHECK(j["online"] == true);
    CHECK(j["offline_since"].is_null());
    CHECK(j["labels"]["role"] == "gw");
    CHECK(j["facts"].is_object());
    CHECK(j["bundles"] == json::parse(R"([{"bundle":"web","state":"Pending","revision":"","message":"",
                                          "out_of_sync":false}])"));
    j = api.ok_get("/api/v1/agents/gone");
    CHECK(j["online"] == false);
    CHECK(j["offline_since"] == rfc3339(api.hub.now));
    CHECK(j["bundles"][0]["state"] == "NotReady");
    CHECK(j["bundles"][0]["message"] == "NotReady here");
    CHECK(j["bundles"][0]["revision"] == "1111111111111111111111111111111111111111");

    auto r = api.get("/api/v1/agents/nobody");
    CHECK(r.status == 404);
    CHECK(json::parse(r.body)["error"] == "no agent named \"nobody\"");
    CHECK(api.call("DELETE", "/api/v1/agents/gw1").status == 405);
}

TEST_CASE("bundles count targeted agents per state and the detail names them; unknown bundles are 404") {
    Api api;
    api.agent("a-ready", {{"role", "gw"}}, "Ready");
    api.agent("b-failed", {{"role", "gw"}}, "Failed");
    api.agent("c-modified", {{"role", "gw"}}, "Modified");
    api.agent("d-old", {{"role", "gw"}}, "Ready", "00ff");
    api.agent("e-new", {{"role", "gw"}});
    api.agent("f-notready", {{"role", "gw"}}, "NotReady");
    api.agent("untargeted", {{"role", "db"}});

    auto list = api.ok_get("/api/v1/bundles");
    REQUIRE(list.size() == 1);
    auto& web = list[0];
    CHECK(web["name"] == "web");
    CHECK(web["revision"] == "1111111111111111111111111111111111111111");
    CHECK(web["commit"].is_string());
    CHECK(web["targeted"] == 6);
    CHECK(web["ready"] == 1);
    CHECK(web["not_ready"] == 1);
    CHECK(web["failed"] == 1);
    CHECK(web["modified"] == 1);
    CHECK(web["out_of_sync"] == 1);
    CHECK(web["pending"] == 1);
    CHECK(web["offline"] == 6);

    auto one = api.ok_get("/api/v1/bundles/web");
    CHECK(one["targeted"] == 6);
    CHECK(one["agents"] == json::parse(R"({"Ready":["a-ready"],"Failed":["b-failed"],"Modified":["c-modified"],
        "OutOfSync":["d-old"],"Pending":["e-new"],"NotReady":["f-notready"]})"));
    CHECK(api.get("/api/v1/bundles/nope").status == 404);
}

TEST_CASE("events come newest first, limited and filtered by kind") {
    Api api;
    api.hub.store->add_event("push", "p1", 1);
    api.hub.store->add_event("rejected", "r1", 2);
    api.hub.store->add_event("push", "p2", 3'000);
    auto all = api.ok_get("/api/v1/events");
    REQUIRE(all.size() >= 3);
    CHECK(all[0]["message"] == "p2");
    CHECK(all[0]["kind"] == "push");
    CHECK(all[0]["time"] == "1970-01-01T00:00:03Z");
    CHECK(api.ok_get("/api/v1/events", "limit=1").size() == 1);
    auto pushes = api.ok_get("/api/v1/events", "kind=push");
    REQUIRE(pushes.size() == 2);
    CHECK(pushes[1]["message"] == "p1");
    CHECK(api.get("/api/v1/events", "limit=-1").status == 400);
    CHECK(api.call("POST", "/api/v1/events").status == 405);
}

TEST_CASE("tokens are listed without secrets and a revoked push token no longer authenticates git") {
    Api api;
    auto push = api.ok("POST", "/api/v1/tokens", R"({"kind":"push"})");
    auto reg = api.ok("POST", "/api/v1/tokens", R"({"labels":{"site":"lab"},"uses":2})");
    std::string push_secret = push["token"];
    REQUIRE(identify(*api.hub.fleet, "Bearer " + push_secret));

    auto r = api.get("/api/v1/tokens");
    CHECK(r.status == 200);
    CHECK(r.body.find(push_secret) == std::string::npos);
    CHECK(r.body.find(reg["token"].get<std::string>()) == std::string::npos);
    auto list = json::parse(r.body);
    REQUIRE(list.size() == 2);
    for (auto& t : list) {
        CHECK_FALSE(t.contains("token"));
        CHECK(t["revoked"] == false);
        CHECK(t["created_at"] == rfc3339(api.hub.now));
    }
    CHECK(list[1]["kind"] == "registration");
    CHECK(list[1]["uses_left"] == 2);
    CHECK(list[1]["labels"]["site"] == "lab");

    auto gone = api.ok("DELETE", "/api/v1/tokens/" + push["id"].get<std::string>());
    CHECK(gone["revoked"] == true);
    auto refused = identify(*api.hub.fleet, "Bearer " + push_secret);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == cat("push token ", push["id"].get<std::string>(), " was revoked"));
    CHECK(api.ok_get("/api/v1/tokens")[0]["revoked"] == true);
    CHECK(api.ok_get("/api/v1/events", "kind=revoked")[0]["message"] ==
          cat("token ", push["id"].get<std::string>(), " revoked"));
    CHECK(api.call("DELETE", "/api/v1/tokens/tok_nope").status == 404);
}

TEST_CASE("a viewer token reads but may not change anything, and stops working when revoked") {
    Api api;
    auto viewer = api.ok("POST", "/api/v1/tokens", R"({"kind":"viewer","ttl":"1h"})");
    std::string secret = viewer["token"];
    CHECK(viewer["kind"] == "viewer");
    CHECK(api.call("POST", "/api/v1/tokens", R"({"kind":"viewer","uses":1})").status == 400);

    for (auto path : {"/api/v1/status", "/api/v1/agents", "/api/v1/bundles", "/api/v1/events", "/api/v1/tokens"})
        CHECK(api.get(path, "", secret).status == 200);
    auto r = api.call("POST", "/api/v1/tokens", R"({"kind":"push"})", secret);
    CHECK(r.status == 403);
    CHECK(json::parse(r.body)["error"] == "a viewer token may only read (GET), not POST");
    CHECK(api.call("DELETE", "/api/v1/tokens/" + viewer["id"].get<std::string>(), "", secret).status == 403);
    CHECK(api.call("PATCH", "/api/v1/agents/x/labels", "{}", secret).status == 403);
    CHECK_FALSE(identify(*api.hub.fleet, "Bearer " + secret));  // not a git credential

    auto push = api.ok("POST", "/api/v1/tokens", R"({"kind":"push"})");
    CHECK(api.get("/api/v1/agents", "", push["token"].get<std::string>()).status == 403);

    api.ok("DELETE", "/api/v1/tokens/" + viewer["id"].get<std::string>());
    r = api.get("/api/v1/agents", "", secret);
    CHECK(r.status == 401);
    CHECK(json::parse(r.body)["error"] == cat("viewer token ", viewer["id"].get<std::string>(), " was revoked"));
    api.hub.now += 3'600'000;
    auto second = api.ok("POST", "/api/v1/tokens", R"({"kind":"viewer","ttl":"1s"})");
    api.hub.now += 1'000;
    CHECK(api.get("/api/v1/agents", "", second["token"].get<std::string>()).status == 401);
}

TEST_CASE("a 10,000-agent fleet answers a filtered page from the right place") {
    Api api;
    std::vector<AgentRecord> agents;
    for (int i = 0; i < 10'000; ++i) {
        std::string name = cat("edge-", std::string(5 - std::to_string(i).size(), '0'), i);
        Labels labels = {{"role", i % 2 ? "gw" : "db"}, {"region", i % 3 ? "us" : "eu"}};
        agents.push_back(api.hub.store->register_agent(name, "cred", labels, 1));
    }
    // Every gateway (odd i) reports: multiples of 7 Failed, the rest Ready.
    std::vector<StatusBatch> batches;
    for (int i = 1; i < 10'000; i += 2)
        batches.push_back(api.hub.web_status(agents[static_cast<size_t>(i)], i % 7 ? "Ready" : "Failed"));
    api.hub.store->record_statuses(batches);
    api.hub.fleet->store_changed();

    // Failed gateways outside eu: odd multiples of 7 that are not multiples of 3.
    std::vector<std::string> expected;
    for (int i = 7; i < 10'000; i += 14)
        if (i % 3) expected.push_back(agents[static_cast<size_t>(i)].name);
    REQUIRE(expected.size() > 300);

    std::string cursor = encode_cursor(expected[199]);
    auto j = api.ok_get("/api/v1/agents", "selector=role%3Dgw,region!%3Deu&state=Failed&limit=50&continue=" + cursor);
    CHECK(j["total"] == expected.size());
    CHECK(names_of(j["items"]) == std::vector<std::string>(expected.begin() + 200, expected.begin() + 250));
    CHECK(j["continue"] == encode_cursor(expected[249]));
    CHECK(j["items"][0]["bundles"][0]["state"] == "Failed");

    auto web = api.ok_get("/api/v1/bundles/web");
    CHECK(web["targeted"] == 5'000);
    CHECK(web["failed"] == 714);  // odd multiples of 7 below 10,000
    CHECK(web["ready"] == 5'000 - 714);
}

TEST_CASE("revoking an agent ends its session at once, refuses its credential and stops counting it") {
    Api api;
    MemoryTransport t;
    AgentSession s(*api.hub.fleet, t);
    s.on_frame(hello_frame("gw1", {{"role", "gw"}}, api.hub.token()));
    auto welcome = t.take().at(0).welcome();
    api.hub.fleet->flush_queued();
    CHECK(api.ok_get("/api/v1/bundles/web")["targeted"] == 1);

    auto j = api.ok("POST", "/api/v1/agents/gw1/revoke");
    CHECK(j["revoked"] == true);
    CHECK(t.closed == "this agent was revoked by the operator");
    auto agent = api.ok_get("/api/v1/agents/gw1");
    CHECK(agent["revoked_at"].is_string());
    CHECK(agent["bundles"].empty());
    CHECK(api.ok_get("/api/v1/bundles/web")["targeted"] == 0);
    CHECK(api.ok_get("/api/v1/events", "kind=revoked")[0]["message"] == "agent gw1 revoked");

    MemoryTransport t2;
    AgentSession again(*api.hub.fleet, t2);
    again.on_frame(hello_frame("gw1", {}, "", welcome.agent_id(), welcome.credential()));
    CHECK(t2.closed == "unknown or revoked agent credential");

    CHECK(api.call("POST", "/api/v1/agents/nobody/revoke").status == 404);
    CHECK(api.call("GET", "/api/v1/agents/gw1/revoke").status == 405);
    auto viewer = api.ok("POST", "/api/v1/tokens", R"({"kind":"viewer"})")["token"].get<std::string>();
    CHECK(api.call("POST", "/api/v1/agents/gw1/revoke", "", viewer).status == 403);
}

TEST_CASE("the fleet view is computed once and read again only for what changed") {
    Api api;
    const FleetState* first = &fleet_view(*api.hub.fleet);
    CHECK(first->agents.empty());
    CHECK(&fleet_view(*api.hub.fleet) == first);
    MemoryTransport t;
    AgentSession s(*api.hub.fleet, t);
    s.on_frame(hello_frame("gw1", {{"role", "gw"}}, api.hub.token()));
    api.hub.fleet->flush_queued();
    const FleetState& after_hello = fleet_view(*api.hub.fleet);
    CHECK(&after_hello == first);  // updated in place, agent by agent
    REQUIRE(after_hello.agents.size() == 1);
    CHECK(after_hello.agents[0].online);
    CHECK(after_hello.bundles.at("web").targeted == 1);
    s.on_closed();
    CHECK_FALSE(fleet_view(*api.hub.fleet).agents[0].online);
    CHECK(fleet_view(*api.hub.fleet).bundles.at("web").offline == 1);
    api.hub.deploy(kFleetFiles, "3333333333333333333333333333333333333333");
    CHECK(fleet_view(*api.hub.fleet).deployment->commit == "3333333333333333333333333333333333333333");
}

TEST_CASE("the fleet view updated agent by agent matches one computed from scratch") {
    Api api;
    MemoryTransport t1, t2, t3;
    AgentSession s1(*api.hub.fleet, t1), s2(*api.hub.fleet, t2), s3(*api.hub.fleet, t3);
    s1.on_frame(hello_frame("gw-b", {{"role", "gw"}}, api.hub.token()));
    s2.on_frame(hello_frame("gw-a", {{"role", "gw"}}, api.hub.token()));
    api.hub.fleet->flush_queued();
    auto counts = [&] { return json::parse(api.get("/api/v1/bundles").body); };
    auto agents = [&] { return json::parse(api.get("/api/v1/agents").body)["items"]; };
    CHECK(counts()[0]["pending"] == 2);

    // gw-b reports Ready, a third agent arrives, gw-a is relabelled away and gw-b leaves.
    auto desired = t1.take().at(1).desired().bundles(0);
    v1::Envelope env;
    auto* st = env.mutable_status();
    st->set_seq(1);
    st->set_bundle("web");
    st->set_digest(desired.digest());
    st->set_revision(desired.revision());
    st->set_state(v1::READY);
    s1.on_frame(wire::encode(env));
    s3.on_frame(hello_frame("gw-0", {{"role", "gw"}}, api.hub.token()));
    api.hub.fleet->flush_queued();
    CHECK(api.call("PATCH", "/api/v1/agents/gw-a/labels", R"({"set":{"role":"db"}})").status == 200);
    s1.on_closed();
    auto incremental_counts = counts();
    auto incremental_agents = agents();

    api.hub.fleet->store_changed();  // the next view is computed from the store alone
    CHECK(counts() == incremental_counts);
    CHECK(agents() == incremental_agents);
    CHECK(incremental_agents.size() == 3);
    CHECK(incremental_agents[0]["name"] == "gw-0");
    CHECK(incremental_counts[0]["ready"] == 1);
    CHECK(incremental_counts[0]["offline"] == 1);
    CHECK(incremental_counts[0]["targeted"] == 2);
}

TEST_CASE("the trust endpoint hands out the CA and the spec-signing public key, to the admin and viewers only") {
    Api api;
    api.hub.fleet->set_ca_pem("-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n");
    auto trust = api.ok_get("/api/v1/trust");
    CHECK(trust["ca"] == "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n");
    CHECK(trust["signing_key"] == api.hub.fleet->signing_key_pem());
    CHECK(trust["signing_key"].get<std::string>().find("PUBLIC KEY") != std::string::npos);

    auto viewer = api.ok("POST", "/api/v1/tokens", R"({"kind":"viewer"})");
    CHECK(api.get("/api/v1/trust", "", viewer["token"].get<std::string>()).status == 200);
    CHECK(api.get("/api/v1/trust", "", "wrong").status == 401);
    CHECK(api.call("POST", "/api/v1/trust", "{}").status == 405);
}
