#include <doctest/doctest.h>
#include <unistd.h>

#include "common/text.h"
#include "hub/store/sqlite_store.h"

using namespace drover;
using namespace drover::hub;

namespace {
struct TempStore {
    std::string path;
    std::unique_ptr<SqliteStore> store;
    TempStore() {
        char name[] = "/tmp/drover-store-XXXXXX";
        close(mkstemp(name));
        unlink(name);
        path = name;
        reopen();
    }
    void reopen() {
        store.reset();
        auto s = SqliteStore::open(path);
        REQUIRE(s);
        store = std::move(*s);
    }
    ~TempStore() {
        store.reset();
        for (auto suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
    }
};
StatusRecord status(uint64_t seq, std::string bundle, std::string state) {
    StatusRecord s;
    s.seq = seq;
    s.bundle = std::move(bundle);
    s.state = std::move(state);
    s.digest = "d";
    s.revision = "r";
    return s;
}
}  // namespace

TEST_CASE("a registration token enrols until its uses run out") {
    TempStore t;
    t.store->add_token({.id = "tok_1", .labels = {{"site", "lab"}}, .uses_left = 2, .created_ms = 1}, "h1");
    auto first = t.store->consume_token("h1", 10);
    REQUIRE(first);
    CHECK(first->labels.at("site") == "lab");
    CHECK(first->uses_left == 1);
    CHECK(t.store->consume_token("h1", 10));
    auto third = t.store->consume_token("h1", 10);
    REQUIRE_FALSE(third);
    CHECK(third.error().message == "registration token tok_1 is used up");
    CHECK(t.store->consume_token("nope", 10).error().message == "registration token is not known to this hub");
}

TEST_CASE("expired and revoked tokens are refused; unlimited ones keep working") {
    TempStore t;
    t.store->add_token({.id = "tok_e", .expires_ms = 100, .created_ms = 1}, "he");
    t.store->add_token({.id = "tok_r", .created_ms = 1, .revoked = true}, "hr");
    t.store->add_token({.id = "tok_u", .created_ms = 1}, "hu");
    CHECK(t.store->consume_token("he", 99));
    CHECK(t.store->consume_token("he", 100).error().message == "registration token tok_e has expired");
    CHECK(t.store->consume_token("hr", 1).error().message == "registration token tok_r was revoked");
    for (int i = 0; i < 5; ++i) CHECK(t.store->consume_token("hu", 1));
}

TEST_CASE("a second device claiming a taken name gets a suffixed name, never the existing identity") {
    TempStore t;
    auto a = t.store->register_agent("edge", "c1", {}, 1);
    auto b = t.store->register_agent("edge", "c2", {}, 2);
    auto c = t.store->register_agent("edge", "c3", {}, 3);
    CHECK(a.name == "edge");
    CHECK(b.name == "edge-2");
    CHECK(c.name == "edge-3");
    CHECK(a.id != b.id);
    CHECK(t.store->credentials(a.id)->current_hash == "c1");
    CHECK(t.store->agent_by_name("edge-2")->id == b.id);
}

TEST_CASE("effective labels: token, then reported, then operator overrides and removals") {
    TempStore t;
    auto a = t.store->register_agent("edge", "c", {{"site", "lab"}, {"ring", "stable"}}, 1);
    t.store->agent_connected(a.id, {{"role", "gateway"}, {"ring", "canary"}, {"size", "small"}}, {{"arch", "x86_64"}},
                             "0.1.0", 5);
    t.store->set_operator_labels(a.id, {{"role", "edge"}, {"size", std::nullopt}});
    auto got = t.store->agent(a.id);
    REQUIRE(got);
    CHECK(got->online);
    CHECK(got->facts.at("arch") == "x86_64");
    Labels want = {{"site", "lab"}, {"ring", "canary"}, {"role", "edge"}};
    CHECK(got->effective_labels() == want);
}

TEST_CASE("statuses are stored once per seq, survive a reopen, and Removed deletes the row") {
    TempStore t;
    auto a = t.store->register_agent("edge", "c", {}, 1);
    CHECK(t.store->record_statuses(a.id, {status(1, "web", "Applying"), status(2, "web", "Ready"),
                                          status(3, "db", "Ready")}, 3) == 3);
    // A resend after a broken link: seq 2 and 3 again plus a new one.
    CHECK(t.store->record_statuses(a.id, {status(2, "web", "Applying"), status(3, "db", "Failed"),
                                          status(4, "db", "Removed")}, 4) == 4);
    CHECK(t.store->status_bundles(a.id) == std::vector<std::string>{"web"});
    // A status the hub dropped is still acknowledged.
    CHECK(t.store->record_statuses(a.id, {}, 9) == 9);
    t.reopen();
    auto rows = t.store->statuses();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].bundle == "web");
    CHECK(rows[0].state == "Ready");
    CHECK(t.store->agent(a.id)->acked_seq == 9);
}

TEST_CASE("the status history holds every status event once, in seq order, across resends") {
    TempStore t;
    auto a = t.store->register_agent("edge", "c", {}, 1);
    t.store->record_statuses(a.id, {status(1, "web", "Applying"), status(2, "web", "Ready")}, 2);
    t.store->record_statuses(a.id, {status(2, "web", "Ready"), status(3, "web", "Modified")}, 3);
    t.reopen();
    auto log = t.store->status_log(a.id);
    REQUIRE(log.size() == 3);
    CHECK(log[0].state == "Applying");
    CHECK(log[2].seq == 3);
    CHECK(log[2].state == "Modified");
}

TEST_CASE("the status history keeps an agent's latest events and prunes older ones") {
    TempStore t;
    auto a = t.store->register_agent("edge", "c", {}, 1);
    std::vector<StatusRecord> many;
    for (uint64_t seq = 1; seq <= kStatusLogPerAgent + 5; ++seq) many.push_back(status(seq, "web", "Ready"));
    t.store->record_statuses(a.id, many, many.size());
    auto log = t.store->status_log(a.id);
    CHECK(log.size() == static_cast<size_t>(kStatusLogPerAgent));
    CHECK(log.front().seq == 6);
}

TEST_CASE("one burst from several agents is stored in one call and acked per agent") {
    TempStore t;
    auto a = t.store->register_agent("a", "c", {}, 1);
    auto b = t.store->register_agent("b", "c", {}, 1);
    auto acked = t.store->record_statuses(std::vector<StatusBatch>{
        {a.id, {status(1, "web", "Ready")}, 1},
        {"no-such-agent", {status(1, "web", "Ready")}, 1},
        {b.id, {status(1, "web", "Failed"), status(2, "web", "Ready")}, 5},
    });
    CHECK(acked == std::vector<uint64_t>{1, 0, 5});
    CHECK(t.store->status_log(b.id).size() == 2);
    CHECK(t.store->statuses().size() == 2);
}

TEST_CASE("registration with a token is one step: token used, agent created, event recorded, or nothing") {
    TempStore t;
    t.store->add_token({.id = "tok_1", .labels = {{"site", "lab"}}, .uses_left = 1, .created_ms = 1}, "h1");
    auto r = t.store->register_with_token("h1", "edge", "cred", 5);
    REQUIRE(r);
    CHECK(r->agent.name == "edge");
    CHECK(r->agent.token_labels.at("site") == "lab");
    CHECK(r->token.uses_left == 0);
    CHECK(t.store->events(10).at(0).kind == "registered");
    auto again = t.store->register_with_token("h1", "edge", "cred2", 6);
    REQUIRE_FALSE(again);
    CHECK(again.error().message == "registration token tok_1 is used up");
    CHECK(t.store->agents().size() == 1);
}

TEST_CASE("presence updates are applied in order with a status batch") {
    TempStore t;
    auto a = t.store->register_agent("edge", "c", {}, 1);
    t.store->record_batch({{a.id, true, {{"role", "gw"}}, {{"arch", "arm64"}}, "1.0", 10},
                           {.agent_id = a.id, .online = false, .time_ms = 20},
                           {a.id, true, {{"role", "gw"}}, {}, "1.1", 30}},
                          {{a.id, {status(1, "web", "Ready")}, 1}});
    auto stored = t.store->agent(a.id);
    CHECK(stored->online);
    CHECK(stored->version == "1.1");
    CHECK(stored->last_seen_ms == 30);
    CHECK(stored->reported_labels.at("role") == "gw");
    CHECK(stored->acked_seq == 1);
}

TEST_CASE("settings and events persist") {
    TempStore t;
    t.store->set_setting("deployed_commit", "abc");
    t.store->set_setting("deployed_commit", "def");
    t.store->add_event("push", "one", 1);
    t.store->add_event("rejected", "two", 2);
    t.reopen();
    CHECK(t.store->setting("deployed_commit") == "def");
    CHECK_FALSE(t.store->setting("missing"));
    auto ev = t.store->events(10);
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].kind == "rejected");
}

TEST_CASE("a push token is found by its secret's hash and never used up") {
    TempStore t;
    t.store->add_token({.id = "tok_push", .uses_left = 1, .created_ms = 5, .kind = TokenKind::push}, "hp");
    for (int i = 0; i < 3; ++i) {
        auto p = t.store->push_token("hp", 10);
        REQUIRE(p);
        CHECK(p->id == "tok_push");
        CHECK(p->kind == TokenKind::push);
        CHECK(p->created_ms == 5);
        CHECK_FALSE(p->revoked);
    }
    CHECK(t.store->push_token("nope", 10).error().message == "push token is not known to this hub");
}

TEST_CASE("revoked and expired push tokens are refused with their id") {
    TempStore t;
    t.store->add_token({.id = "tok_pr", .created_ms = 1, .revoked = true, .kind = TokenKind::push}, "hpr");
    t.store->add_token({.id = "tok_pe", .expires_ms = 100, .created_ms = 1, .kind = TokenKind::push}, "hpe");
    CHECK(t.store->push_token("hpr", 10).error().message == "push token tok_pr was revoked");
    auto before = t.store->push_token("hpe", 99);
    REQUIRE(before);
    CHECK(before->expires_ms == 100);
    CHECK(t.store->push_token("hpe", 100).error().message == "push token tok_pe has expired");
}

TEST_CASE("push and registration tokens do not stand in for each other") {
    TempStore t;
    t.store->add_token({.id = "tok_reg", .created_ms = 1}, "hreg");
    t.store->add_token({.id = "tok_push", .created_ms = 1, .kind = TokenKind::push}, "hpush");
    CHECK(t.store->push_token("hreg", 10).error().message == "push token is not known to this hub");
    CHECK(t.store->consume_token("hpush", 10).error().message == "registration token is not known to this hub");
    CHECK(t.store->register_with_token("hpush", "edge-1", "cred", 10).error().message ==
          "registration token is not known to this hub");
    CHECK(t.store->agents().empty());
    CHECK(t.store->consume_token("hreg", 10));
}

TEST_CASE("a push token's kind survives a reopen") {
    TempStore t;
    t.store->add_token({.id = "tok_push", .created_ms = 1, .kind = TokenKind::push}, "hpush");
    t.reopen();
    auto p = t.store->push_token("hpush", 10);
    REQUIRE(p);
    CHECK(p->id == "tok_push");
}

TEST_CASE("tokens are listed with their kind and state, and a revoked one stops working for every use") {
    TempStore t;
    t.store->add_token({.id = "tok_r", .labels = {{"site", "lab"}}, .uses_left = 3, .created_ms = 1}, "hr");
    t.store->add_token({.id = "tok_p", .created_ms = 2, .kind = TokenKind::push}, "hp");
    t.store->add_token({.id = "tok_v", .expires_ms = 500, .created_ms = 3, .kind = TokenKind::viewer}, "hv");
    auto all = t.store->tokens();
    REQUIRE(all.size() == 3);
    CHECK(all[0].id == "tok_r");
    CHECK(all[0].labels.at("site") == "lab");
    CHECK(*all[0].uses_left == 3);
    CHECK(all[1].kind == TokenKind::push);
    CHECK(all[2].kind == TokenKind::viewer);
    CHECK(*all[2].expires_ms == 500);

    REQUIRE(t.store->viewer_token("hv", 10));
    CHECK_FALSE(t.store->viewer_token("hp", 10));  // a push token is not a viewer token
    CHECK(t.store->viewer_token("hv", 500).error().message == "viewer token tok_v has expired");

    CHECK(t.store->revoke_token("tok_p"));
    CHECK(t.store->revoke_token("tok_r"));
    CHECK(t.store->revoke_token("tok_r"));  // twice is harmless
    CHECK_FALSE(t.store->revoke_token("tok_nope"));
    t.reopen();
    CHECK(t.store->push_token("hp", 10).error().message == "push token tok_p was revoked");
    CHECK_FALSE(t.store->consume_token("hr", 10));
    CHECK(t.store->tokens()[0].revoked);
}

TEST_CASE("events can be read for one kind, newest first, up to a limit") {
    TempStore t;
    t.store->add_event("push", "p1", 1);
    t.store->add_event("registered", "r1", 2);
    t.store->add_event("push", "p2", 3);
    t.store->add_event("push", "p3", 4);
    auto pushes = t.store->events_of_kind("push", 2);
    REQUIRE(pushes.size() == 2);
    CHECK(pushes[0].message == "p3");
    CHECK(pushes[1].message == "p2");
    CHECK(t.store->events_of_kind("nothing", 10).empty());
}

TEST_CASE("events after an id come oldest first, up to a limit") {
    TempStore t;
    for (int i = 1; i <= 5; ++i) t.store->add_event("push", cat("p", i), i);
    auto all = t.store->events(10);
    int64_t second = all[3].id;  // newest first: p2
    auto after = t.store->events_after(second, 2);
    REQUIRE(after.size() == 2);
    CHECK(after[0].message == "p3");
    CHECK(after[1].message == "p4");
    CHECK(t.store->events_after(all[0].id, 10).empty());
    CHECK(t.store->events_after(0, 10).size() == 5);
    t.store->add_event("token", "t1", 6);
    t.store->add_event("push", "p6", 7);
    auto pushes = t.store->events_after(second, 10, "push");
    REQUIRE(pushes.size() == 4);
    CHECK(pushes.back().message == "p6");
    CHECK(t.store->events_after(0, 10, "token").at(0).message == "t1");
}

TEST_CASE("a revoked agent's credential no longer logs in, and the revocation is stored once") {
    TempStore t;
    auto a = t.store->register_agent("edge", "hash", {}, 10);
    CHECK(t.store->credentials(a.id)->current_hash == "hash");
    CHECK_FALSE(t.store->agent(a.id)->revoked_ms);
    CHECK(t.store->revoke_agent(a.id, 20) == 20);
    CHECK_FALSE(t.store->credentials(a.id));
    CHECK(t.store->agent(a.id)->revoked_ms == 20);
    CHECK(t.store->revoke_agent(a.id, 30) == 20);
    CHECK(t.store->agent(a.id)->revoked_ms == 20);
    CHECK(t.store->events_of_kind("revoked", 10).size() == 1);
    CHECK(t.store->events_of_kind("revoked", 10)[0].message == "agent edge revoked");
    CHECK_FALSE(t.store->revoke_agent("agt_nobody", 40));
}

TEST_CASE("one agent's statuses are read by bundle, without the others'") {
    TempStore t;
    auto a = t.store->register_agent("a", "h", {}, 1);
    auto b = t.store->register_agent("b", "h", {}, 1);
    StatusRecord web{.bundle = "web", .digest = "d1", .revision = "r", .state = "Ready", .seq = 1};
    StatusRecord db{.bundle = "db", .digest = "d2", .revision = "r", .state = "Failed", .seq = 2};
    t.store->record_statuses(a.id, {web, db}, 2);
    t.store->record_statuses(b.id, {web}, 1);
    auto mine = t.store->statuses_of(a.id);
    REQUIRE(mine.size() == 2);
    CHECK(mine[0].bundle == "db");
    CHECK(mine[0].state == "Failed");
    CHECK(mine[1].bundle == "web");
    CHECK(t.store->statuses_of(b.id).size() == 1);
    CHECK(t.store->statuses_of("agt_nobody").empty());
}

TEST_CASE("a credential rotation keeps both hashes until it finishes, then only the new one, issued then") {
    TempStore t;
    auto a = t.store->register_agent("edge", "old", {}, 10);
    auto c = t.store->credentials(a.id);
    REQUIRE(c);
    CHECK(c->current_hash == "old");
    CHECK(c->next_hash.empty());
    CHECK(c->issued_ms == 10);  // registration issued it
    CHECK_FALSE(t.store->finish_credential_rotation(a.id, 20));  // none under way

    REQUIRE(t.store->begin_credential_rotations({{a.id, "new"}}) == std::vector<std::string>{a.id});
    c = t.store->credentials(a.id);
    CHECK(c->current_hash == "old");
    CHECK(c->next_hash == "new");
    REQUIRE(t.store->begin_credential_rotations({{a.id, "newer"}}).size() == 1);  // a retry replaces the next one
    CHECK(t.store->credentials(a.id)->next_hash == "newer");

    REQUIRE(t.store->finish_credential_rotation(a.id, 30));
    c = t.store->credentials(a.id);
    CHECK(c->current_hash == "newer");
    CHECK(c->next_hash.empty());
    CHECK(c->issued_ms == 30);
    CHECK(t.store->events_of_kind("credential", 10).at(0).message == "credential of agent edge rotated");

    REQUIRE(t.store->expire_credential(a.id));
    CHECK(t.store->credentials(a.id)->issued_ms == 0);

    REQUIRE(t.store->revoke_agent(a.id, 40));
    auto other = t.store->register_agent("other", "h", {}, 40);
    // One transaction for many; revoked and unknown agents are skipped.
    CHECK(t.store->begin_credential_rotations({{a.id, "x"}, {"agt_nobody", "x"}, {other.id, "y"}}) ==
          std::vector<std::string>{other.id});
    CHECK(t.store->credentials(other.id)->next_hash == "y");
    CHECK_FALSE(t.store->expire_credential(a.id));
}

TEST_CASE("a client certificate's key is required once confirmed, with one event, and survives a reopen") {
    TempStore t;
    auto a = t.store->register_agent("edge", "h", {}, 10);
    CHECK_FALSE(t.store->agent(a.id)->client_certificate_ms);
    CHECK_FALSE(t.store->finish_client_certificate(a.id, "k1", 15));  // nothing begun
    REQUIRE(t.store->begin_client_certificate(a.id, "k1"));
    REQUIRE(t.store->begin_client_certificate(a.id, "k2"));  // a later issue replaces it
    CHECK(t.store->agent(a.id)->next_client_key_sha256 == "k2");
    CHECK_FALSE(t.store->finish_client_certificate(a.id, "k1", 18));
    REQUIRE(t.store->finish_client_certificate(a.id, "k2", 20));
    t.reopen();
    auto stored = *t.store->agent(a.id);
    CHECK(stored.client_certificate_ms == 20);
    CHECK(stored.client_key_sha256 == "k2");
    CHECK(stored.next_client_key_sha256.empty());
    CHECK(t.store->agents().at(0).client_key_sha256 == "k2");
    CHECK(t.store->events_of_kind("certificate", 10).at(0).message ==
          "agent edge stored its client certificate (key k2); the hub requires it from now on");
    // Once required, no other key can be begun or finished.
    CHECK_FALSE(t.store->begin_client_certificate(a.id, "k3"));
    CHECK_FALSE(t.store->finish_client_certificate(a.id, "k2", 30));
    CHECK(t.store->events_of_kind("certificate", 10).size() == 1);
    CHECK_FALSE(t.store->begin_client_certificate("agt_nobody", "k"));
    auto b = t.store->register_agent("other", "h2", {}, 10);
    REQUIRE(t.store->begin_client_certificate(b.id, "k"));
    REQUIRE(t.store->revoke_agent(b.id, 40));
    CHECK_FALSE(t.store->finish_client_certificate(b.id, "k", 50));
}

TEST_CASE("rollout records are written, replaced and deleted together, and survive a reopen") {
    TempStore t;
    CHECK(t.store->rollouts().empty());
    t.store->save_rollouts({{"app", "{\"v\":1}"}, {"db", "{\"v\":2}"}});
    t.store->save_rollouts({{"app", "{\"v\":3}"}, {"db", std::nullopt}, {"gone", std::nullopt}}, "c0ffee");
    t.reopen();
    auto stored = t.store->rollouts();
    CHECK(stored == std::map<std::string, std::string>{{"app", "{\"v\":3}"}});
    CHECK(t.store->setting("deployed_commit") == "c0ffee");
}
