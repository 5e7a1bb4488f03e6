// The hub's configurable limits (hub_limits.h), the per-address registration
// rate limit, and refusals that name the limit to raise.
#include <nlohmann/json.hpp>

#include "hub/server/http_api.h"
#include "hub/server/hub_limits.h"
#include "hub/server/rate_limiter.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;

TEST_CASE("limits are set by name, with byte suffixes, and refused outside their range") {
    HubLimits limits;
    REQUIRE(set_limit(limits, "spec-bytes=32MiB"));
    CHECK(limits.render.max_spec_bytes == 32u << 20);
    REQUIRE(set_limit(limits, "frame-bytes=512KiB"));
    CHECK(limits.frame_bytes == 512u * 1024);
    REQUIRE(set_limit(limits, "agent-labels=8"));
    CHECK(limits.session.max_labels == 8);
    REQUIRE(set_limit(limits, "registrations-per-minute=0"));
    CHECK(limits.registrations_per_minute == 0);
    REQUIRE(set_limit(limits, "request-body-bytes=8192"));
    CHECK(limits.request_body_bytes == 8192);

    auto too_big = set_limit(limits, "spec-bytes=1GiB");
    REQUIRE_FALSE(too_big);
    CHECK(too_big.error().message == "--limit spec-bytes: \"1GiB\" is not a size from 1KiB to 128MiB");
    CHECK(limits.render.max_spec_bytes == 32u << 20);  // unchanged
    CHECK(set_limit(limits, "bundles=0").error().message ==
          "--limit bundles: \"0\" is not a whole number from 1 to 100000");
    CHECK_FALSE(set_limit(limits, "agent-labels=8KiB"));  // counts take no suffix
    CHECK_FALSE(set_limit(limits, "frame-bytes=-1"));
    CHECK_FALSE(set_limit(limits, "frame-bytes=99999999999999999999GiB"));
    CHECK_FALSE(set_limit(limits, "frame-bytes="));
    CHECK(set_limit(limits, "spec-bytes").error().message == "--limit \"spec-bytes\": expected NAME=VALUE");
    auto unknown = set_limit(limits, "specbytes=1");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.starts_with("--limit: unknown limit \"specbytes\" (known: frame-bytes, "));
}

TEST_CASE("describe_limits lists every limit with its value as an operator writes it") {
    HubLimits limits;
    REQUIRE(set_limit(limits, "spec-bytes=3000"));
    auto described = describe_limits(limits);
    std::map<std::string, std::string> values;
    for (auto& d : described) {
        CHECK_FALSE(d.meaning.empty());
        values[d.name] = d.value;
    }
    CHECK(values.size() == described.size());  // names are unique
    CHECK(values["frame-bytes"] == "1MiB");
    CHECK(values["spec-bytes"] == "3000");
    CHECK(values["bundles"] == "1000");
    CHECK(values["registrations-per-minute"] == "60");
    // Every listed value is accepted back as it is written.
    for (auto& d : described) CHECK(set_limit(limits, d.name + "=" + d.value));
}

TEST_CASE("a rate limiter allows a burst per key, then one attempt per refill interval") {
    RateLimiter limiter(60);  // one a second, bursts of 60
    int64_t now = 1'000'000;
    for (int i = 0; i < 60; ++i) REQUIRE(limiter.attempt("10.0.0.1", now) == 0);
    int64_t wait = limiter.attempt("10.0.0.1", now);
    CHECK(wait == 1000);
    CHECK(limiter.attempt("10.0.0.2", now) == 0);  // another address has its own bucket
    CHECK(limiter.attempt("10.0.0.1", now + 999) > 0);
    CHECK(limiter.attempt("10.0.0.1", now + 1000) == 0);
    CHECK(limiter.attempt("10.0.0.1", now + 1000) > 0);
    CHECK(limiter.attempt("10.0.0.1", now - 5000) > 0);  // a clock stepping back refills nothing

    RateLimiter unlimited(0);
    for (int i = 0; i < 1000; ++i) REQUIRE(unlimited.attempt("10.0.0.1", now) == 0);
    CHECK(unlimited.tracked() == 0);
}

TEST_CASE("a rate limiter keeps at most kMaxKeys addresses, forgetting refilled ones first") {
    RateLimiter limiter(1);
    int64_t now = 0;
    for (size_t i = 0; i < RateLimiter::kMaxKeys; ++i) REQUIRE(limiter.attempt(cat("a", i), now) == 0);
    CHECK(limiter.tracked() == RateLimiter::kMaxKeys);
    // Every bucket is still spending: a new address is refused, not tracked.
    CHECK(limiter.attempt("new", now) > 0);
    CHECK(limiter.tracked() == RateLimiter::kMaxKeys);
    // A minute later every bucket has refilled: they are forgotten.
    CHECK(limiter.attempt("new", now + 60'000) == 0);
    CHECK(limiter.tracked() == 1);
}

namespace {
std::string close_reason(MemoryTransport& t) {
    auto out = t.take();
    return out.size() == 1 && out[0].has_close() ? out[0].close().reason() : "";
}
}  // namespace

TEST_CASE("registrations are rate-limited per source address; credentials are not") {
    Hub hub;
    HubLimits limits;
    limits.registrations_per_minute = 2;
    hub.fleet->set_limits(limits);
    auto attempt = [&](const std::string& address, const std::string& hello) {
        MemoryTransport t;
        t.address = address;
        AgentSession s(*hub.fleet, t);
        s.on_frame(hello);
        auto out = t.take();
        REQUIRE_FALSE(out.empty());
        return out[0];
    };
    std::string token = hub.token();
    auto first = attempt("192.0.2.7", hello_frame("a1", {}, token));
    REQUIRE(first.has_welcome());
    // A wrong token counts too: guessing is what the limit is for.
    CHECK(attempt("192.0.2.7", hello_frame("a2", {}, "drv_reg_guess")).close().reason() ==
          "registration token is not known to this hub");
    auto third = attempt("192.0.2.7", hello_frame("a3", {}, token));
    CHECK(third.close().reason() ==
          "too many registration attempts from 192.0.2.7; retry in 30 s (hub limit registrations-per-minute)");
    CHECK_FALSE(hub.store->agent_by_name("a3"));
    // Another address, and a registered agent from the same address, are let in.
    CHECK(attempt("192.0.2.8", hello_frame("a3", {}, token)).has_welcome());
    auto agent = *hub.store->agent_by_name("a1");
    CHECK(attempt("192.0.2.7", hello_frame("a1", {}, "", agent.id, first.welcome().credential())).has_welcome());
    // Half a minute later the address may try again.
    hub.now += 30'000;
    CHECK(attempt("192.0.2.7", hello_frame("a4", {}, token)).has_welcome());
}

TEST_CASE("session refusals caused by a limit name it, and follow the configured value") {
    Hub hub;
    HubLimits limits;
    limits.session.max_labels = 2;
    hub.fleet->set_limits(limits);
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {{"a", "1"}, {"b", "2"}, {"c", "3"}}, hub.token()));
    CHECK(close_reason(t) == "too many labels (3, hub limit agent-labels is 2)");

    MemoryTransport t2;
    AgentSession s2(*hub.fleet, t2);
    s2.on_frame(hello_frame("edge", {{"a", "1"}, {"b", "2"}}, hub.token()));
    CHECK(t2.take().front().has_welcome());
}

TEST_CASE("the API's body and label limits follow the configuration and name themselves") {
    Hub hub;
    std::string admin = "drv_admin_test";
    hub.store->set_setting("admin_token_sha256", sha256_hex(admin));
    HubLimits limits;
    limits.request_body_bytes = 4096;
    limits.operator_labels = 1;
    hub.fleet->set_limits(limits);
    auto call = [&](const std::string& method, const std::string& path, const std::string& body) {
        return handle_http(*hub.fleet,
                           {.method = method, .path = path, .authorization = "Bearer " + admin, .body = body});
    };
    auto big = call("POST", "/api/v1/tokens", std::string(5000, ' ') + "{}");
    CHECK(big.status == 413);
    CHECK(nlohmann::json::parse(big.body)["error"] ==
          "request body is larger than the limit of 4096 bytes (hub limit request-body-bytes)");
    CHECK(call("POST", "/api/v1/tokens", std::string(3000, ' ') + "{}").status == 201);

    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {}, hub.token()));
    CHECK(call("PATCH", "/api/v1/agents/edge/labels", R"({"set": {"a": "1"}})").status == 200);
    auto refused = call("PATCH", "/api/v1/agents/edge/labels", R"({"set": {"b": "2"}})");
    CHECK(refused.status == 400);
    CHECK(nlohmann::json::parse(refused.body)["error"] ==
          "an agent may carry at most 1 operator labels (hub limit operator-labels)");
}

TEST_CASE("render limits from the configuration refuse a revision, naming the limit") {
    Hub hub;
    render::Limits limits;
    limits.max_bundles = 1;
    render::FileMap files = kFleetFiles;
    files["db/bundle.yaml"] = "namespace: db\n";
    files["db/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n";
    auto refused = build_deployment("2222222222222222222222222222222222222222", files, hub.key, limits);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().front().to_string() ==
          "repository has 2 bundles, more than the limit of 1 (hub limit bundles)");
    CHECK(build_deployment("2222222222222222222222222222222222222222", files, hub.key));  // defaults
}
