#include <doctest/doctest.h>

#include "agent/session/facts.h"
#include "agent/session/frame_assembler.h"
#include "agent/session/hub_url.h"

using namespace drover::session;

TEST_CASE("hub URLs default the port by scheme and the path to /v1/agent") {
    auto u = parse_hub_url("wss://127.0.0.1:8443");
    REQUIRE(u);
    CHECK(u->tls);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == 8443);
    CHECK(u->path == "/v1/agent");
    CHECK(u->to_string() == "wss://127.0.0.1:8443/v1/agent");

    u = parse_hub_url("ws://hub.example/");
    REQUIRE(u);
    CHECK_FALSE(u->tls);
    CHECK(u->port == 80);
    CHECK(u->path == "/v1/agent");

    u = parse_hub_url("wss://hub.example/drover/v1/agent");
    REQUIRE(u);
    CHECK(u->port == 443);
    CHECK(u->path == "/drover/v1/agent");

    u = parse_hub_url("wss://[::1]:9000");
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->port == 9000);
    CHECK(u->to_string() == "wss://[::1]:9000/v1/agent");
}

TEST_CASE("bad hub URLs are refused with the reason") {
    CHECK(parse_hub_url("https://hub").error().message.find("must start with wss://") != std::string::npos);
    CHECK(parse_hub_url("wss://").error().message.find("no host") != std::string::npos);
    CHECK(parse_hub_url("wss://hub:0").error().message.find("invalid port") != std::string::npos);
    CHECK(parse_hub_url("wss://hub:99999").error().message.find("invalid port") != std::string::npos);
    CHECK(parse_hub_url("wss://hub:").error().message.find("empty port") != std::string::npos);
    CHECK(parse_hub_url("wss://user@hub").error().message.find("user info") != std::string::npos);
    CHECK(parse_hub_url("wss://hub/?x=1").error().message.find("query") != std::string::npos);
}

TEST_CASE("the frame assembler joins pieces and enforces the size limit") {
    FrameAssembler a(10);
    auto r = a.add("hel", false);
    REQUIRE(r);
    CHECK_FALSE(*r);
    r = a.add("lo", true);
    REQUIRE(r);
    CHECK(**r == "hello");
    CHECK(a.buffered() == 0);

    REQUIRE(a.add("123456", false));
    auto over = a.add("12345", false);
    REQUIRE_FALSE(over);
    CHECK(over.error().message.find("exceeds the limit of 10") != std::string::npos);
    CHECK(a.buffered() == 0);
    auto exact = a.add("1234567890", true);
    REQUIRE(exact);
    CHECK(**exact == "1234567890");
}

TEST_CASE("facts carry arch, kernel and the os-release pretty name") {
    CHECK(os_release_pretty_name("NAME=x\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n") ==
          "Debian GNU/Linux 12 (bookworm)");
    CHECK(os_release_pretty_name("PRETTY_NAME=Plain\n") == "Plain");
    CHECK(os_release_pretty_name("NAME=x\n").empty());
    auto facts = collect_facts("/nonexistent/os-release");
    CHECK_FALSE(facts["arch"].empty());
    CHECK_FALSE(facts["kernel"].empty());
    CHECK(facts["os"] == "Linux");
}
