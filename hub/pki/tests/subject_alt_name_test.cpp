#include <doctest/doctest.h>

#include "common/text.h"
#include "hub/pki/subject_alt_name.h"

using namespace drover;
using namespace drover::pki;

TEST_CASE("IPv4 and IPv6 literals become iPAddress names of 4 and 16 bytes") {
    auto v4 = parse_alt_name("127.0.0.1");
    REQUIRE(v4);
    CHECK(v4->kind == AltName::Kind::ip);
    CHECK(v4->value == std::string("\x7f\x00\x00\x01", 4));
    CHECK(v4->text == "127.0.0.1");

    auto v6 = parse_alt_name("::1");
    REQUIRE(v6);
    CHECK(v6->kind == AltName::Kind::ip);
    CHECK(v6->value == std::string(15, '\0') + "\x01");

    auto bracketed = parse_alt_name("[2001:db8::7]");
    REQUIRE(bracketed);
    CHECK(bracketed->kind == AltName::Kind::ip);
    CHECK(bracketed->text == "2001:db8::7");
    CHECK(hex_encode(bracketed->value) == "20010db8000000000000000000000007");
}

TEST_CASE("DNS names are lower-cased and may start with a wildcard label") {
    auto name = parse_alt_name("Hub.Example.COM");
    REQUIRE(name);
    CHECK(name->kind == AltName::Kind::dns);
    CHECK(name->value == "hub.example.com");
    CHECK(parse_alt_name("localhost"));
    CHECK(parse_alt_name("*.edge.example"));
    CHECK(parse_alt_name("a-b.c0"));
    CHECK(parse_alt_name(std::string(63, 'a') + ".example"));
}

TEST_CASE("hostnames that are neither DNS names nor IP literals are refused with the input named") {
    for (const char* bad : {"", "https://hub", "hub:8443", "hub_1.example", "-hub.example", "hub-.example",
                            "hub..example", "hub.example.", "*", "a.*.example", "10.0.0", "fe80::1%eth0",
                            "300.1.1.1", "hub example", "h\xc3\xbc" "b.example"}) {
        auto r = parse_alt_name(bad);
        CHECK_MESSAGE(!r, bad);
        if (!r) CHECK(r.error().message.find(quoted(bad)) != std::string::npos);
    }
    CHECK_FALSE(parse_alt_name(std::string(64, 'a') + ".example"));
    std::string long_name;
    for (int i = 0; i < 64; ++i) long_name += "abc.";
    long_name += "example";
    CHECK_FALSE(parse_alt_name(long_name));
}

TEST_CASE("repeated hostnames are dropped, keeping first-seen order") {
    auto names = parse_alt_names({"localhost", "127.0.0.1", "LOCALHOST", "::1", "[::1]", "0:0::1"});
    REQUIRE(names);
    REQUIRE(names->size() == 3);
    CHECK((*names)[0].text == "localhost");
    CHECK((*names)[1].text == "127.0.0.1");
    CHECK((*names)[2].text == "::1");
}

TEST_CASE("too many hostnames are refused") {
    std::vector<std::string> hosts;
    for (size_t i = 0; i <= kMaxAltNames; ++i) hosts.push_back(cat("h", i, ".example"));
    CHECK_FALSE(parse_alt_names(hosts));
    hosts.pop_back();
    CHECK(parse_alt_names(hosts));
}

TEST_CASE("GeneralNames DER: a SEQUENCE of [2] IA5String and [7] OCTET STRING in input order") {
    auto names = parse_alt_names({"a.b", "127.0.0.1"});
    REQUIRE(names);
    auto der = encode_subject_alt_name(*names);
    REQUIRE(der);
    CHECK(hex_encode(*der) == "300b" "8203612e62" "87047f000001");
}

TEST_CASE("GeneralNames DER uses long-form lengths past 127 bytes") {
    std::vector<std::string> hosts;
    for (int i = 0; i < 10; ++i) hosts.push_back(cat("host-", i, ".example"));
    auto names = parse_alt_names(hosts);
    REQUIRE(names);
    auto der = encode_subject_alt_name(*names);
    REQUIRE(der);
    size_t content = 0;
    for (auto& n : *names) content += 2 + n.value.size();
    REQUIRE(content > 127);
    REQUIRE(content < 256);
    CHECK(der->size() == content + 3);
    CHECK(hex_encode(der->substr(0, 3)) == "3081" + hex_encode(std::string(1, static_cast<char>(content))));
}

TEST_CASE("an empty GeneralNames is refused") {
    CHECK_FALSE(encode_subject_alt_name({}));
}
