// The relay over real loopback sockets: an echo upstream, the relay on its
// own thread, test clients. Timing checks are lower bounds only (a loaded
// 2-core machine is slow, never fast); waits are polls with deadlines.
#include "tools/chaosproxy/relay.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/chaosproxy/tests/echo_upstream.h"
#include "tools/chaosproxy/tests/running_proxy.h"
#include "tools/chaosproxy/tests/test_client.h"

using namespace drover::chaosproxy;
using namespace drover::chaosproxy::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Event = TestClient::Event;

namespace {

std::string random_bytes(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(rng());
    return out;
}

// A port on which nothing listens (bound, then released).
uint16_t dead_port() {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("relay: bytes arrive intact through the proxy, both ways") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    TestClient client(proxy.port());
    std::string data = random_bytes(3 * 1024 * 1024 + 17, 5);
    CHECK(client.exchange(data, 30s) == data);
    CHECK(proxy.stat("bytes_up") == data.size());
    CHECK(proxy.stat("bytes_down") == data.size());
    CHECK(proxy.stat("accepted") == 1);
    CHECK(proxy.stat("open") == 1);
}

TEST_CASE("relay: a client's FIN reaches the upstream, and the upstream's comes back") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    TestClient client(proxy.port());
    client.send("last words");
    client.shutdown_write();
    CHECK(client.receive(100, 10s) == "last words");  // receive stops at EOF
    CHECK(client.wait(10s) == Event::closed);
    CHECK(wait_until([&] { return proxy.stat("open") == 0; }));
}

TEST_CASE("relay: cut closes every open connection at once") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    TestClient a(proxy.port());
    TestClient b(proxy.port());
    REQUIRE(a.exchange("ping", 10s) == "ping");
    REQUIRE(b.exchange("ping", 10s) == "ping");
    CHECK(proxy.command("cut") == "ok");
    CHECK(a.wait(5s) == Event::closed);
    CHECK(b.wait(5s) == Event::closed);
    CHECK(proxy.stat("cut") == 2);
    CHECK(proxy.stat("open") == 0);
    // The proxy itself keeps working.
    TestClient c(proxy.port());
    CHECK(c.exchange("again", 10s) == "again");
}

TEST_CASE("relay: stall swallows traffic without closing; resume lets new traffic through") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    TestClient client(proxy.port());
    REQUIRE(client.exchange("ping", 10s) == "ping");
    CHECK(proxy.command("stall") == "ok");
    CHECK(proxy.stat("stalled_now") == 1);
    client.send("lost in the void");
    CHECK(client.wait(700ms) == Event::quiet);  // no echo, and not closed either
    CHECK(wait_until([&] { return proxy.stat("bytes_dropped") == 16; }));
    // New connections stall too.
    TestClient late(proxy.port());
    late.send("also lost");
    CHECK(late.wait(300ms) == Event::quiet);
    CHECK(proxy.stat("stalled_now") == 2);

    CHECK(proxy.command("resume") == "ok");
    CHECK(proxy.stat("stalled_now") == 0);
    CHECK(client.exchange("found", 10s) == "found");
    CHECK(late.exchange("found too", 10s) == "found too");
    CHECK(proxy.stat("bytes_up") == 4 + 5 + 9);
}

TEST_CASE("relay: rate 32KiB makes 128 KiB take at least 3 seconds") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    CHECK(proxy.command("rate 32KiB") == "ok");
    TestClient client(proxy.port());
    std::string data = random_bytes(128 * 1024, 9);
    auto start = Clock::now();
    CHECK(client.exchange(data, 60s) == data);
    // (128 KiB - 16 KiB burst) / 32 KiB/s = 3.5 s for each direction; they overlap.
    CHECK(Clock::now() - start >= 3s);

    CHECK(proxy.command("rate off") == "ok");
    start = Clock::now();
    CHECK(client.exchange(data, 60s) == data);
    CHECK(Clock::now() - start < 3s);  // generous: unlimited loopback takes milliseconds
}

TEST_CASE("relay: --delay holds each byte back in each direction") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port(), {"--delay", "300ms"});
    TestClient client(proxy.port());
    auto start = Clock::now();
    CHECK(client.exchange("ping", 10s) == "ping");
    CHECK(Clock::now() - start >= 600ms);
    CHECK(proxy.command("delay 0ms") == "ok");
    start = Clock::now();
    CHECK(client.exchange("pong", 10s) == "pong");
    CHECK(Clock::now() - start < 600ms);
}

TEST_CASE("relay: refuse on closes new connections at once and leaves open ones alone") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    TestClient open_before(proxy.port());
    REQUIRE(open_before.exchange("ping", 10s) == "ping");
    CHECK(proxy.command("refuse on") == "ok");
    TestClient refused(proxy.port());  // the kernel completes the handshake; the proxy resets it
    CHECK(refused.wait(5s) == Event::closed);
    CHECK(open_before.exchange("still here", 10s) == "still here");
    CHECK(proxy.stat("refused") == 1);
    CHECK(echo.accepted() == 1);  // the refused one never reached the upstream
    CHECK(proxy.command("refuse off") == "ok");
    TestClient after(proxy.port());
    CHECK(after.exchange("welcome back", 10s) == "welcome back");
}

TEST_CASE("relay: an unreachable upstream closes the client and counts as refused") {
    RunningProxy proxy(dead_port());
    TestClient client(proxy.port());
    CHECK(client.wait(5s) == Event::closed);
    CHECK(wait_until([&] { return proxy.stat("refused") == 1; }));
    CHECK(proxy.stat("open") == 0);
}

TEST_CASE("relay: random cuts end each connection after a lifetime from its range") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port(), {"--seed", "3", "--cut-every", "300ms..600ms"});
    auto start = Clock::now();
    TestClient client(proxy.port());
    REQUIRE(client.exchange("ping", 10s) == "ping");
    CHECK(client.wait(10s) == Event::closed);
    CHECK(Clock::now() - start >= 300ms);
    CHECK(proxy.stat("cut") == 1);
}

TEST_CASE("relay: chaos off spares connections from their random cut; chaos on re-arms it") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port(), {"--cut-every", "400ms"});
    TestClient client(proxy.port());
    CHECK(proxy.command("chaos off") == "ok");
    CHECK(client.wait(1s) == Event::quiet);  // would have been cut at 400 ms
    CHECK(client.exchange("alive", 10s) == "alive");
    CHECK(proxy.command("chaos on") == "ok");
    CHECK(client.wait(10s) == Event::closed);
    CHECK(proxy.stat("cut") == 1);
}

TEST_CASE("relay: random stalls start and end by themselves, without closing") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port(), {"--stall-every", "300ms", "--stall-for", "600ms"});
    TestClient client(proxy.port());
    CHECK(wait_until([&] { return proxy.stat("stalled_now") == 1; }));
    CHECK(wait_until([&] { return proxy.stat("stalled_now") == 0; }));
    CHECK(wait_until([&] { return proxy.stat("stalled_now") == 1; }));  // and again
    CHECK(client.wait(0ms) == Event::quiet);
    CHECK(proxy.stat("cut") == 0);
}

TEST_CASE("relay: chaos off ends a random stall in progress") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port(), {"--stall-every", "100ms", "--stall-for", "1m"});
    TestClient client(proxy.port());
    REQUIRE(wait_until([&] { return proxy.stat("stalled_now") == 1; }));
    client.send("dropped");
    CHECK(client.wait(300ms) == Event::quiet);
    CHECK(proxy.command("chaos off") == "ok");
    CHECK(proxy.stat("stalled_now") == 0);
    CHECK(client.exchange("through", 10s) == "through");
}

TEST_CASE("relay: resume also ends random stalls") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port(), {"--stall-every", "100ms", "--stall-for", "1m"});
    TestClient client(proxy.port());
    REQUIRE(wait_until([&] { return proxy.stat("stalled_now") == 1; }));
    CHECK(proxy.command("resume") == "ok");
    CHECK(proxy.stat("stalled_now") == 0);
}

TEST_CASE("relay: a client that does not read is eventually not read either") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    TestClient client(proxy.port());
    // Socket buffers along the way hold a few MiB; an unbounded relay would
    // swallow everything up to the limit.
    size_t sent = client.send_until_stuck(500ms, 256u << 20);
    CHECK(sent < (64u << 20));
    CHECK(proxy.command("cut") == "ok");
}

TEST_CASE("relay: 2,000 connections are relayed at the same time") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    constexpr int kConnections = 2000;
    std::vector<std::unique_ptr<TestClient>> clients;
    clients.reserve(kConnections);
    for (int i = 0; i < kConnections; ++i) clients.push_back(std::make_unique<TestClient>(proxy.port()));
    for (int i = 0; i < kConnections; ++i) clients[static_cast<size_t>(i)]->send("hello " + std::to_string(i));
    int echoed = 0;
    for (int i = 0; i < kConnections; ++i) {
        std::string want = "hello " + std::to_string(i);
        if (clients[static_cast<size_t>(i)]->receive(want.size(), 10s) == want) ++echoed;
    }
    CHECK(echoed == kConnections);
    CHECK(proxy.stat("open") == kConnections);
    clients.clear();
    CHECK(wait_until([&] { return proxy.stat("open") == 0; }, 20s));
}

TEST_CASE("control: answers every line, errors included, to any number of clients") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    CHECK(proxy.command("explode").starts_with("error unknown command \"explode\""));
    CHECK(proxy.command("rate 0").starts_with("error "));
    CHECK(proxy.command("chaos on") == "error chaos on needs --cut-every or --stall-every at start");
    TestClient second(proxy.control_port());
    second.send("stats\n  \ndelay 5ms\n");
    std::string answers;
    CHECK(wait_until([&] {
        answers += second.receive_some(100ms);
        return answers.find("ok\n") != std::string::npos;
    }));
    REQUIRE(answers.starts_with("ok {"));
    auto json = nlohmann::json::parse(answers.substr(3, answers.find('\n') - 3));
    for (const char* key : {"accepted", "open", "cut", "stalled_now", "bytes_up", "bytes_down", "refused"})
        CHECK_MESSAGE(json.contains(key), key);
}

TEST_CASE("control: a line longer than 4 KiB is refused and the client dropped") {
    EchoUpstream echo;
    RunningProxy proxy(echo.port());
    TestClient flood(proxy.control_port());
    flood.send(std::string(8192, 'x'));
    std::string answer = flood.receive(100, 5s);
    CHECK(answer == "error line too long\n");
    CHECK(flood.wait(5s) == Event::closed);
    CHECK(proxy.command("stats").starts_with("ok "));
}
