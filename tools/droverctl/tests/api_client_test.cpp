#include <doctest/doctest.h>

#include <chrono>

#include "tools/droverctl/api_client.h"
#include "tools/droverctl/tests/loopback_http_server.h"

using namespace drover::ctl;
using namespace drover::ctl::testing;
using nlohmann::json;

namespace {
ApiClient client_for(const std::string& url, long timeout_ms = 5000) {
    ClientOptions o;
    o.hub_url = url;
    o.token = "secret-token";
    o.timeout_ms = timeout_ms;
    o.connect_timeout_ms = timeout_ms;
    auto c = ApiClient::create(o);
    REQUIRE(c);
    return std::move(*c);
}
}  // namespace

TEST_CASE("GET sends the bearer token and returns the parsed JSON") {
    LoopbackHttpServer server([](const RecordedRequest&) { return CannedReply{200, R"({"ok":true})"}; });
    auto client = client_for(server.url() + "/");
    auto r = client.get("/api/v1/status");
    REQUIRE(r);
    CHECK(*r == json{{"ok", true}});
    auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "GET");
    CHECK(seen[0].path == "/api/v1/status");
    CHECK(seen[0].authorization == "Bearer secret-token");
}

TEST_CASE("POST and PATCH send their JSON body; the client is reusable") {
    LoopbackHttpServer server([](const RecordedRequest& r) { return CannedReply{r.method == "POST" ? 201 : 200, r.body}; });
    auto client = client_for(server.url());
    auto posted = client.post("/api/v1/tokens", json{{"labels", {{"a", "b"}}}});
    REQUIRE(posted);
    CHECK(*posted == json{{"labels", {{"a", "b"}}}});
    auto patched = client.patch("/api/v1/agents/e/labels", json{{"set", json::object()}});
    REQUIRE(patched);
    auto seen = server.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].content_type == "application/json");
    CHECK(json::parse(seen[0].body) == json{{"labels", {{"a", "b"}}}});
    CHECK(seen[1].method == "PATCH");
    CHECK(seen[1].path == "/api/v1/agents/e/labels");
}

TEST_CASE("a 4xx answer with a JSON error is 'refused' with the hub's message and status") {
    LoopbackHttpServer server([](const RecordedRequest&) {
        return CannedReply{404, R"({"error":"no agent named \"edge-9\""})"};
    });
    auto r = client_for(server.url()).patch("/api/v1/agents/edge-9/labels", json::object());
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ApiError::Kind::refused);
    CHECK(r.error().message == "no agent named \"edge-9\"");
    CHECK(r.error().http_status == 404);
}

TEST_CASE("an error answer without JSON still says what happened") {
    LoopbackHttpServer server([](const RecordedRequest&) {
        return CannedReply{500, "<html>\n<b>proxy broke</b></html>", "text/html"};
    });
    auto r = client_for(server.url()).get("/api/v1/status");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ApiError::Kind::refused);
    CHECK(r.error().message == "hub answered GET /api/v1/status with HTTP 500: <html> <b>proxy broke</b></html>");
}

TEST_CASE("a 2xx answer that is not JSON is a bad response") {
    LoopbackHttpServer server([](const RecordedRequest&) { return CannedReply{200, "{\"agents\": [1, 2"}; });
    auto r = client_for(server.url()).get("/api/v1/status");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ApiError::Kind::bad_response);
    CHECK(r.error().message.find("malformed JSON") != std::string::npos);
}

TEST_CASE("an answer over the size limit is refused, not buffered") {
    LoopbackHttpServer server([](const RecordedRequest&) { return CannedReply{200, "[" + std::string(3 << 20, ' ') + "]"}; });
    ClientOptions o;
    o.hub_url = server.url();
    o.max_response_bytes = 1 << 20;
    auto client = ApiClient::create(o);
    REQUIRE(client);
    auto r = client->get("/api/v1/status");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ApiError::Kind::bad_response);
    CHECK(r.error().message.find("larger than 1 MiB") != std::string::npos);
}

TEST_CASE("a refused connection is 'unreachable'") {
    RefusingPort port;
    auto r = client_for("http://127.0.0.1:" + std::to_string(port.port())).get("/api/v1/status");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ApiError::Kind::unreachable);
    CHECK(r.error().message.find("cannot reach hub at http://127.0.0.1:") == 0);
    CHECK(r.error().message.find("is the hub running") != std::string::npos);
}

TEST_CASE("a hub that never answers is 'unreachable' after the timeout") {
    SilentPort port;
    auto start = std::chrono::steady_clock::now();
    auto r = client_for("http://127.0.0.1:" + std::to_string(port.port()), 300).get("/api/v1/status");
    auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ApiError::Kind::unreachable);
    CHECK(r.error().message.find("did not answer in time") != std::string::npos);
    CHECK(elapsed < std::chrono::seconds(5));
}

TEST_CASE("a hub URL without http(s) and an unreadable CA file are refused up front") {
    ClientOptions o;
    o.hub_url = "hub.example:8443";
    CHECK(ApiClient::create(o).error().message == "hub URL \"hub.example:8443\" must start with https:// or http://");
    o.hub_url = "ftp://hub";
    CHECK_FALSE(ApiClient::create(o));
    o.hub_url = "https://hub";
    o.ca_file = "/nonexistent/ca.pem";
    CHECK(ApiClient::create(o).error().message == "cannot read CA file \"/nonexistent/ca.pem\"");
}

TEST_CASE("path segments are percent-encoded") {
    CHECK(escape_path_segment("edge-1.site_a~") == "edge-1.site_a~");
    CHECK(escape_path_segment("a b/c?d#e%") == "a%20b%2Fc%3Fd%23e%25");
    CHECK(escape_path_segment("..") == "%2E%2E");
    CHECK(escape_path_segment(".") == "%2E");
    CHECK(escape_path_segment("a..b") == "a..b");
}

TEST_CASE("stream hands the body over as it arrives and says the hub closed it") {
    LoopbackHttpServer server([](const RecordedRequest&) {
        CannedReply r;
        r.content_type = "text/event-stream; charset=utf-8";
        r.streamed = true;
        r.chunks = {"retry: 10\n\n", "data: a\n", "\n"};
        return r;
    });
    std::string received;
    StreamRequest request;
    request.on_bytes = [&received](std::string_view bytes) -> drover::Result<void> {
        received += bytes;
        return {};
    };
    auto end = client_for(server.url()).stream("/api/v1/events?since=3", request);
    REQUIRE(end);
    CHECK(*end == StreamEnd::closed);
    CHECK(received == "retry: 10\n\ndata: a\n\n");
    auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].accept == "text/event-stream");
    CHECK(seen[0].authorization == "Bearer secret-token");
    CHECK(seen[0].path == "/api/v1/events?since=3");
}

TEST_CASE("stream: a refusal carries the hub's message, another content type is a bad response, nothing reaches on_bytes") {
    LoopbackHttpServer server([](const RecordedRequest& r) {
        if (r.path == "/refused") return CannedReply{403, R"({"error":"push tokens are for git"})"};
        return CannedReply{200, R"([{"id":1}])"};
    });
    bool called = false;
    StreamRequest request;
    request.on_bytes = [&called](std::string_view) -> drover::Result<void> {
        called = true;
        return {};
    };
    auto client = client_for(server.url());
    auto refused = client.stream("/refused", request);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ApiError::Kind::refused);
    CHECK(refused.error().http_status == 403);
    CHECK(refused.error().message == "push tokens are for git");
    auto other = client.stream("/json", request);
    REQUIRE_FALSE(other);
    CHECK(other.error().kind == ApiError::Kind::bad_response);
    CHECK(other.error().message == "hub answered GET /json with application/json, not text/event-stream");
    CHECK_FALSE(called);
}

TEST_CASE("stream: on_bytes refusing the data ends the stream with its reason") {
    LoopbackHttpServer server([](const RecordedRequest&) {
        CannedReply r;
        r.content_type = "text/event-stream";
        r.streamed = true;
        r.chunks = {"data: x\n\n"};
        r.hold_ms = 10'000;
        return r;
    });
    StreamRequest request;
    request.on_bytes = [](std::string_view) -> drover::Result<void> { return drover::fail("line too long"); };
    auto start = std::chrono::steady_clock::now();
    auto end = client_for(server.url()).stream("/s", request);
    REQUIRE_FALSE(end);
    CHECK(end.error().kind == ApiError::Kind::bad_response);
    CHECK(end.error().message == "hub's answer to GET /s: line too long");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
