#include <doctest/doctest.h>

#include <string>

#include "tools/kube-testserver/protobuf_body.h"

using namespace drover::kts;

namespace {

std::string varint(uint64_t v) {
    std::string out;
    do {
        unsigned char byte = v & 0x7f;
        v >>= 7;
        if (v != 0) byte |= 0x80;
        out += static_cast<char>(byte);
    } while (v != 0);
    return out;
}

std::string bytes_field(uint32_t number, const std::string& value) {
    return varint(number << 3 | 2) + varint(value.size()) + value;
}

std::string entry(const std::string& key, const std::string& value) {
    return bytes_field(1, key) + bytes_field(2, value);
}

std::string envelope(const std::string& api_version, const std::string& kind, const std::string& raw) {
    return std::string("k8s\0", 4) + bytes_field(1, bytes_field(1, api_version) + bytes_field(2, kind)) +
           bytes_field(2, raw) + bytes_field(3, "") + bytes_field(4, "");
}

std::string metadata(const std::string& name) {
    // As kubectl sends it: empty optional strings and an empty timestamp.
    return bytes_field(1, name) + bytes_field(2, "") + bytes_field(3, "") + bytes_field(8, "") +
           bytes_field(11, entry("app", "web")) + bytes_field(14, "f1");
}

}  // namespace

TEST_CASE("kubectl's protobuf ConfigMap, Secret and Namespace decode to the JSON they stand for") {
    std::string cm_raw = bytes_field(1, metadata("settings")) + bytes_field(2, entry("a", "1")) +
                         bytes_field(2, entry("b", "two")) + bytes_field(3, entry("bin", std::string("\0\1", 2))) +
                         varint(4 << 3) + varint(1);
    auto cm = decode_kubernetes_protobuf(envelope("v1", "ConfigMap", cm_raw));
    REQUIRE(cm);
    CHECK(*cm == json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings", "labels": {"app": "web"}, "finalizers": ["f1"]},
        "data": {"a": "1", "b": "two"}, "binaryData": {"bin": "AAE="}, "immutable": true})"));

    std::string secret_raw = bytes_field(1, metadata("s")) + bytes_field(2, entry("password", "hunter2")) +
                             bytes_field(3, "Opaque") + bytes_field(4, entry("plain", "text"));
    auto secret = decode_kubernetes_protobuf(envelope("v1", "Secret", secret_raw));
    REQUIRE(secret);
    CHECK((*secret)["data"]["password"] == "aHVudGVyMg==");
    CHECK((*secret)["type"] == "Opaque");
    CHECK((*secret)["stringData"]["plain"] == "text");

    auto ns = decode_kubernetes_protobuf(
        envelope("v1", "Namespace", bytes_field(1, metadata("web")) + bytes_field(2, bytes_field(1, "kubernetes"))));
    REQUIRE(ns);
    CHECK((*ns)["metadata"]["name"] == "web");
    CHECK((*ns)["spec"]["finalizers"] == json::array({"kubernetes"}));
}

TEST_CASE("other kinds, other envelopes and malformed protobuf are errors, never crashes") {
    auto deployment = decode_kubernetes_protobuf(envelope("apps/v1", "Deployment", ""));
    REQUIRE_FALSE(deployment);
    CHECK(deployment.error().message.find("not apps/v1 Deployment; send JSON") != std::string::npos);
    CHECK_FALSE(decode_kubernetes_protobuf("{\"kind\": \"ConfigMap\"}"));
    CHECK_FALSE(decode_kubernetes_protobuf(std::string("k8s\0", 4) + "\x0a\xff\xff\xff\xff\x0f"));
    CHECK_FALSE(decode_kubernetes_protobuf(std::string("k8s\0", 4) + "\x0b"));  // a group: wire type 3

    std::string whole = envelope("v1", "ConfigMap", bytes_field(1, metadata("x")) + bytes_field(2, entry("a", "1")));
    for (size_t n = 0; n <= whole.size(); ++n) CHECK_NOTHROW((void)decode_kubernetes_protobuf(whole.substr(0, n)));
    std::string flipped = whole;
    for (size_t i = 4; i < flipped.size(); ++i) {
        flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
        CHECK_NOTHROW((void)decode_kubernetes_protobuf(flipped));
        flipped[i] = whole[i];
    }
}
