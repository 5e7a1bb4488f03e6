#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "agent/session/hub_link.h"
#include "agent/tests/session/fake_hub_server.h"
#include "agent/tests/session/scripted_hub.h"
#include "agent/tests/eventually.h"
#include "common/testing/temp_dir.h"
#include "common/text.h"
#include "proto/frame.h"

using namespace drover;
using drover::testing::FakeHubServer;
using drover::testing::HubReply;
using drover::testing::Published;
using drover::testing::ScriptedHub;
using drover::testing::TempDir;
using drover::testing::eventually;

namespace {

// The hub's behaviour, run on the fake server's thread.
struct HubScript {
    ScriptedHub hub;
    std::vector<Published> bundles;
    std::string good_token = "drv_reg_good";
    std::atomic<bool> ack{true};
    uint64_t stored_seq = 0;

    HubReply operator()(const v1::Envelope& in) {
        HubReply reply;
        if (in.has_hello()) {
            const auto& hello = in.hello();
            if (hello.agent_id().empty() && hello.registration_token() != good_token) {
                v1::Envelope close;
                close.mutable_close()->set_reason("registration token is invalid, expired or used up");
                reply.frames.push_back(wire::encode(close));
                reply.close = true;
                return reply;
            }
            bool registering = hello.agent_id().empty();
            reply.frames.push_back(wire::encode(hub.welcome("agt_1", registering ? "cred_1" : "", stored_seq)));
            reply.frames.push_back(wire::encode(hub.desired(bundles)));
        } else if (in.has_fetch()) {
            for (auto& p : bundles)
                if (p.digest == in.fetch().digest())
                    for (auto& c : ScriptedHub::chunks(p, in.fetch().offset())) reply.frames.push_back(wire::encode(c));
        } else if (in.has_status()) {
            if (ack) {
                stored_seq = std::max<uint64_t>(stored_seq, in.status().seq());
                reply.frames.push_back(wire::encode(ScriptedHub::ack(stored_seq)));
            }
        }
        return reply;
    }
};

// An agent's link in its own thread, with a cache of its own.
struct RunningLink {
    TempDir dir;
    std::unique_ptr<cache::Cache> cache;
    std::unique_ptr<session::LinkLoop> loop;
    std::unique_ptr<session::HubLink> link;
    std::atomic<int> wakes{0};
    std::thread thread;

    RunningLink(const std::string& url, const std::string& token, const std::string& ca = "",
                std::chrono::seconds welcome_timeout = std::chrono::seconds(30)) {
        auto c = cache::Cache::open(dir / "cache.db", sql::Durability::normal);
        REQUIRE(c);
        cache = std::move(*c);
        session::SessionConfig config;
        config.name = "edge-1";
        config.registration_token = token;
        config.hub_url = url;
        session::LinkOptions options;
        options.url = *session::parse_hub_url(url);
        auto made = session::LinkLoop::create({.tls = options.url.tls, .ca_file = ca, .max_links = 1});
        REQUIRE(made);
        loop = std::move(*made);
        options.backoff_base = std::chrono::milliseconds(10);
        options.backoff_cap = std::chrono::milliseconds(50);
        options.welcome_timeout = welcome_timeout;
        auto l = session::HubLink::create(*loop, *cache, config, options, [this] { ++wakes; });
        REQUIRE(l);
        link = std::move(*l);
        thread = std::thread([this] { loop->run(); });
    }
    ~RunningLink() {
        loop->stop();
        thread.join();
        link.reset();
    }

    // A second connection for the test thread (the first belongs to the link).
    std::unique_ptr<cache::Cache> observer() {
        auto c = cache::Cache::open(dir / "cache.db", sql::Durability::normal);
        REQUIRE(c);
        return std::move(*c);
    }
};

std::vector<v1::Envelope> of_kind(const std::vector<v1::Envelope>& frames, v1::Envelope::MsgCase kind) {
    std::vector<v1::Envelope> out;
    for (auto& f : frames)
        if (f.msg_case() == kind) out.push_back(f);
    return out;
}

std::string ws_url(int port) { return cat("ws://127.0.0.1:", port); }

}  // namespace

TEST_CASE("over a real websocket the agent registers, downloads its specs and gets its statuses acked") {
    HubScript script;
    script.bundles = {script.hub.publish("big", "r1", testing::bulky_spec(200'000)),
                      script.hub.publish("small", "r1", "{\"small\":true}")};
    FakeHubServer server([&script](const v1::Envelope& e) { return script(e); });
    RunningLink agent(ws_url(server.port()), script.good_token);
    auto view = agent.observer();

    REQUIRE(eventually([&] {
        return view->content().has(script.bundles[0].digest) && view->content().has(script.bundles[1].digest);
    }));
    CHECK(view->identity().load().credential == "cred_1");
    CHECK(view->content().spec(script.bundles[0].digest) == script.bundles[0].spec);
    CHECK(agent.link->welcomed());
    CHECK(agent.wakes >= 3);  // the desired state and each spec

    auto hello = of_kind(server.received(), v1::Envelope::kHello);
    REQUIRE(hello.size() == 1);
    CHECK(hello[0].hello().registration_token() == script.good_token);

    // The reconciler (here: the test) appends statuses and pokes the link.
    for (int i = 0; i < 3; ++i) {
        cache::Status st;
        st.bundle = "small";
        st.state = i == 2 ? v1::READY : v1::APPLYING;
        st.message = std::to_string(i);
        view->outbox().append(st);
    }
    agent.link->poke();
    REQUIRE(eventually([&] { return view->outbox().pending(0, 10).empty(); }));
    auto statuses = of_kind(server.received(), v1::Envelope::kStatus);
    REQUIRE(statuses.size() == 3);
    CHECK(statuses[0].status().seq() == 1);
    CHECK(statuses[2].status().state() == v1::READY);
    CHECK(server.connections() == 1);
}

TEST_CASE("a refused registration closes the session and the agent keeps retrying") {
    HubScript script;
    FakeHubServer server([&script](const v1::Envelope& e) { return script(e); });
    RunningLink agent(ws_url(server.port()), "drv_reg_wrong");
    REQUIRE(eventually([&] { return server.connections() >= 3; }));
    CHECK_FALSE(agent.observer()->identity().load().registered());
    CHECK_FALSE(agent.link->welcomed());
}

TEST_CASE("a frame above the size limit ends the session with a Close naming the reason") {
    HubScript script;
    FakeHubServer server([&script](const v1::Envelope& e) { return script(e); });
    RunningLink agent(ws_url(server.port()), script.good_token);
    REQUIRE(eventually([&] { return agent.link->welcomed(); }));
    server.broadcast(std::string(wire::kMaxFrame + 1000, 'x'));
    REQUIRE(eventually([&] { return !of_kind(server.received(), v1::Envelope::kClose).empty(); }));
    auto close = of_kind(server.received(), v1::Envelope::kClose)[0].close();
    CHECK(close.reason().find("exceeds the limit") != std::string::npos);
    // And it comes back.
    REQUIRE(eventually([&] { return server.connections() >= 2 && agent.link->welcomed(); }));
}

TEST_CASE("after the link drops the agent reconnects and resends unacknowledged statuses") {
    HubScript script;
    script.ack = false;
    FakeHubServer server([&script](const v1::Envelope& e) { return script(e); });
    RunningLink agent(ws_url(server.port()), script.good_token);
    REQUIRE(eventually([&] { return agent.link->welcomed(); }));
    auto view = agent.observer();
    cache::Status st;
    st.bundle = "web";
    st.state = v1::READY;
    view->outbox().append(st);
    agent.link->poke();
    REQUIRE(eventually([&] { return of_kind(server.received(), v1::Envelope::kStatus).size() == 1; }));

    script.ack = true;
    server.drop_connections();
    REQUIRE(eventually([&] { return view->outbox().pending(0, 10).empty(); }));
    CHECK(server.connections() == 2);
    auto statuses = of_kind(server.received(), v1::Envelope::kStatus);
    REQUIRE(statuses.size() == 2);
    CHECK(statuses[0].status().seq() == statuses[1].status().seq());
    auto hellos = of_kind(server.received(), v1::Envelope::kHello);
    REQUIRE(hellos.size() == 2);
    CHECK(hellos[1].hello().agent_id() == "agt_1");
    CHECK(hellos[1].hello().credential() == "cred_1");
}

TEST_CASE("a hub that never answers Hello is hung up on and dialled again") {
    FakeHubServer server([](const v1::Envelope&) { return HubReply{}; });
    RunningLink agent(ws_url(server.port()), "drv_reg_good", "", std::chrono::seconds(1));
    REQUIRE(eventually([&] { return server.connections() >= 2; }));
    CHECK_FALSE(agent.link->welcomed());
    CHECK(of_kind(server.received(), v1::Envelope::kHello).size() >= 1);
}

namespace {

// A CA and a server certificate for 127.0.0.1, made with the openssl CLI.
struct TestPki {
    TempDir dir;
    bool ok = false;

    TestPki() {
        std::string d = dir.path();
        std::string ext = d + "/ext.cnf";
        FILE* f = std::fopen(ext.c_str(), "w");
        if (!f) return;
        std::fputs("subjectAltName=IP:127.0.0.1\n", f);
        std::fclose(f);
        std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
        std::string cmd = cat("cd ", d, " && openssl req -x509", ec, "-keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca",
                              " && openssl req -x509", ec, "-keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=other",
                              " && openssl req", ec, "-keyout server.key -out server.csr -subj /CN=127.0.0.1",
                              " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial",
                              " -out server.pem -days 2 -extfile ext.cnf) >", d, "/openssl.log 2>&1");
        cmd = "(" + cmd;
        ok = std::system(cmd.c_str()) == 0;
    }
    std::string operator/(const std::string& name) const { return dir / name; }
};

}  // namespace

TEST_CASE("over wss the agent trusts exactly the CA given with --ca") {
    TestPki pki;
    REQUIRE_MESSAGE(pki.ok, "openssl could not create test certificates; see ", pki / "openssl.log");
    HubScript script;
    FakeHubServer server([&script](const v1::Envelope& e) { return script(e); },
                         FakeHubServer::Tls{pki / "server.pem", pki / "server.key"});
    std::string url = cat("wss://127.0.0.1:", server.port());

    SUBCASE("the hub's CA: the session is established") {
        RunningLink agent(url, script.good_token, pki / "ca.pem");
        REQUIRE(eventually([&] { return agent.link->welcomed(); }));
        CHECK(agent.observer()->identity().load().registered());
    }
    SUBCASE("another CA: no session, the handshake fails on every attempt") {
        RunningLink agent(url, script.good_token, pki / "other-ca.pem");
        REQUIRE(eventually([&] { return agent.link->connect_attempts() >= 3; }));
        CHECK(agent.link->sessions_started() == 0);
        CHECK(server.connections() == 0);
        CHECK_FALSE(agent.observer()->identity().load().registered());
    }
}
