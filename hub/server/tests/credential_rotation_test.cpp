// Agent credential rotation (proto: Credential / CredentialStored): by age,
// asked for by the operator, interrupted and resumed; the old credential
// stops working only once the agent has stored the new one.
#include <nlohmann/json.hpp>

#include "hub/server/http_api.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;

namespace {

constexpr int64_t kDay = 86'400'000;

struct Agent {
    std::string id, credential;
};

Agent register_agent(Hub& hub) {
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {}, hub.token()));
    auto out = t.take();
    REQUIRE(out.at(0).has_welcome());
    return {out[0].welcome().agent_id(), out[0].welcome().credential()};
}

// The frames a Hello with `credential` gets, up to the server's next sweep
// (which starts due rotations) unless `sweep` is false.
std::vector<v1::Envelope> login(Hub& hub, AgentSession& s, MemoryTransport& t, const Agent& a,
                                const std::string& credential, bool sweep = true) {
    s.on_frame(hello_frame("edge", {}, "", a.id, credential));
    if (sweep) hub.fleet->rotate_due_credentials(50);
    return t.take();
}

std::optional<std::string> rotated_credential(const std::vector<v1::Envelope>& frames) {
    for (auto& f : frames)
        if (f.has_credential()) return f.credential().credential();
    return std::nullopt;
}

std::string stored_frame() {
    v1::Envelope env;
    env.mutable_credential_stored();
    return wire::encode(env);
}

}  // namespace

TEST_CASE("a credential older than the maximum age is rotated by the sweep; the old one works until it is stored") {
    Hub hub;
    hub.fleet->set_credential_max_age_ms(30 * kDay);
    auto a = register_agent(hub);

    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    CHECK_FALSE(rotated_credential(login(hub, s, t, a, a.credential)));  // young: kept

    hub.now += 30 * kDay;
    MemoryTransport t2;
    AgentSession s2(*hub.fleet, t2);
    // The Hello itself writes nothing: the rotation waits for the sweep.
    CHECK_FALSE(rotated_credential(login(hub, s2, t2, a, a.credential, false)));
    CHECK(hub.store->credentials(a.id)->next_hash.empty());
    CHECK(hub.fleet->rotate_due_credentials(50) == 1);
    auto fresh = rotated_credential(t2.take());
    REQUIRE(fresh);
    CHECK(*fresh != a.credential);
    CHECK(fresh->starts_with("drv_agt_"));
    CHECK(hub.store->credentials(a.id)->next_hash == sha256_hex(*fresh));
    CHECK(hub.store->credentials(a.id)->current_hash == sha256_hex(a.credential));

    s2.on_frame(stored_frame());
    CHECK_FALSE(t2.closed);
    auto c = hub.store->credentials(a.id);
    CHECK(c->current_hash == sha256_hex(*fresh));
    CHECK(c->next_hash.empty());
    CHECK(c->issued_ms == hub.now);
    CHECK(hub.store->events_of_kind("credential", 10).at(0).message == "credential of agent edge rotated");

    MemoryTransport t3;
    AgentSession s3(*hub.fleet, t3);
    auto refused = login(hub, s3, t3, a, a.credential);
    CHECK(refused.at(0).close().reason() == "unknown or revoked agent credential");
    MemoryTransport t4;
    AgentSession s4(*hub.fleet, t4);
    auto welcomed = login(hub, s4, t4, a, *fresh);
    CHECK(welcomed.at(0).has_welcome());
    CHECK_FALSE(rotated_credential(welcomed));
}

TEST_CASE("a rotation whose confirmation was lost completes when the agent logs in with the new credential") {
    Hub hub;
    auto a = register_agent(hub);
    REQUIRE(hub.fleet->rotate_credential(a.id));  // offline: at its next session
    MemoryTransport t;
    auto s = std::make_unique<AgentSession>(*hub.fleet, t);
    auto fresh = rotated_credential(login(hub, *s, t, a, a.credential));
    REQUIRE(fresh);
    s->on_closed();  // the link drops before CredentialStored arrives
    s.reset();

    MemoryTransport t2;
    AgentSession s2(*hub.fleet, t2);
    auto frames = login(hub, s2, t2, a, *fresh);
    CHECK(frames.at(0).has_welcome());
    CHECK_FALSE(rotated_credential(frames));
    CHECK(hub.store->credentials(a.id)->current_hash == sha256_hex(*fresh));
    CHECK(hub.store->credentials(a.id)->next_hash.empty());
}

TEST_CASE("an agent that never stored its new credential gets another at its next login") {
    Hub hub;
    auto a = register_agent(hub);
    REQUIRE(hub.fleet->rotate_credential(a.id));
    MemoryTransport t;
    auto s = std::make_unique<AgentSession>(*hub.fleet, t);
    auto lost = rotated_credential(login(hub, *s, t, a, a.credential));
    REQUIRE(lost);
    s->on_closed();
    s.reset();

    MemoryTransport t2;
    AgentSession s2(*hub.fleet, t2);
    auto again = rotated_credential(login(hub, s2, t2, a, a.credential));  // the old one still works
    REQUIRE(again);
    CHECK(*again != *lost);
    s2.on_frame(stored_frame());
    MemoryTransport t3;
    AgentSession s3(*hub.fleet, t3);
    CHECK(login(hub, s3, t3, a, *lost).at(0).close().reason() == "unknown or revoked agent credential");
}

TEST_CASE("the operator rotates an online agent's credential at once; the timer rotates due ones in bounded steps") {
    Hub hub;
    hub.fleet->set_credential_max_age_ms(kDay);
    std::vector<Agent> agents;
    std::vector<std::unique_ptr<MemoryTransport>> transports;
    std::vector<std::unique_ptr<AgentSession>> sessions;
    for (int i = 0; i < 3; ++i) {
        transports.push_back(std::make_unique<MemoryTransport>());
        sessions.push_back(std::make_unique<AgentSession>(*hub.fleet, *transports.back()));
        sessions.back()->on_frame(hello_frame(cat("edge-", i), {}, hub.token()));
        auto out = transports.back()->take();
        agents.push_back({out.at(0).welcome().agent_id(), out[0].welcome().credential()});
    }
    CHECK(hub.fleet->rotate_due_credentials(10) == 0);

    REQUIRE(hub.fleet->rotate_credential(agents[1].id));
    CHECK(rotated_credential(transports[1]->take()));
    CHECK(hub.fleet->rotate_due_credentials(10) == 0);  // under way: not again

    hub.now += kDay;
    CHECK(hub.fleet->rotate_due_credentials(1) == 1);
    CHECK(hub.fleet->rotate_due_credentials(1) == 1);
    CHECK(hub.fleet->rotate_due_credentials(1) == 0);
    CHECK(rotated_credential(transports[0]->take()));
    CHECK(rotated_credential(transports[2]->take()));
    for (auto& t : transports) CHECK_FALSE(t->closed);
}

TEST_CASE("a CredentialStored nobody asked for ends the session") {
    Hub hub;
    auto a = register_agent(hub);
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    login(hub, s, t, a, a.credential);
    s.on_frame(stored_frame());
    CHECK(t.take().at(0).close().reason() == "credential_stored answers no credential rotation");
}

TEST_CASE("POST /agents/NAME/rotate-credential: online now, offline later, 404 and 409") {
    Hub hub;
    std::string admin = "drv_admin_test";
    hub.store->set_setting("admin_token_sha256", sha256_hex(admin));
    auto post = [&](const std::string& path) {
        return handle_http(*hub.fleet, {.method = "POST", .path = path, .authorization = "Bearer " + admin});
    };
    auto a = register_agent(hub);  // its session is gone: offline
    auto offline = post("/api/v1/agents/edge/rotate-credential");
    CHECK(offline.status == 202);
    CHECK(nlohmann::json::parse(offline.body)["rotation"] == "at its next connection");
    CHECK(hub.store->credentials(a.id)->issued_ms == 0);

    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    CHECK(rotated_credential(login(hub, s, t, a, a.credential)));  // due: the first sweep sends it
    auto online = post("/api/v1/agents/edge/rotate-credential");
    CHECK(nlohmann::json::parse(online.body)["rotation"] == "started");

    CHECK(post("/api/v1/agents/nobody/rotate-credential").status == 404);
    CHECK(handle_http(*hub.fleet, {.method = "GET", .path = "/api/v1/agents/edge/rotate-credential",
                                   .authorization = "Bearer " + admin})
              .status == 405);
    hub.fleet->revoke(a.id);
    auto revoked = post("/api/v1/agents/edge/rotate-credential");
    CHECK(revoked.status == 409);
    CHECK(nlohmann::json::parse(revoked.body)["error"] == "agent edge is revoked");
}
