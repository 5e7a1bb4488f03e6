#include <doctest/doctest.h>

#include <vector>

#include "tools/kube-testserver/credentials.h"
#include "tools/kube-testserver/options.h"

using namespace drover::kts;

namespace {

drover::Result<Options> parse(std::vector<std::string> args) { return parse_options(args); }

}  // namespace

TEST_CASE("the command line the README documents parses") {
    auto o = parse({"--listen", "127.0.0.1:0", "--write-kubeconfig=/tmp/kc", "--auth", "cert", "--token", "t0k",
                    "--crd-establishment", "manual", "--crd-establish-delay", "500ms", "--verbose"});
    REQUIRE(o);
    CHECK(o->host == "127.0.0.1");
    CHECK(o->port == 0);
    CHECK(*o->kubeconfig_path == "/tmp/kc");
    CHECK(o->auth == AuthMode::cert);
    CHECK(*o->token == "t0k");
    CHECK_FALSE(o->crd_auto_establish);
    CHECK(o->crd_establish_delay == std::chrono::milliseconds(500));
    CHECK(o->verbose);
    auto v6 = parse({"--listen", "[::1]:6443", "--crd-establish-delay", "250"});
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 6443);
    CHECK(v6->crd_establish_delay == std::chrono::milliseconds(250));
}

TEST_CASE("bad command lines name the problem") {
    CHECK(parse({"--listen", "nope"}).error().message.find("expected ADDR:PORT") != std::string::npos);
    CHECK(parse({"--listen", "1.2.3.4:70000"}).error().message.find("port") != std::string::npos);
    CHECK(parse({"--auth", "basic"}).error().message == "--auth \"basic\": expected token or cert");
    CHECK(parse({"--token", "a b"}).error().message.find("--token") != std::string::npos);
    CHECK(parse({"--write-kubeconfig"}).error().message == "--write-kubeconfig needs a value");
    CHECK(parse({"--frobnicate"}).error().message.find("unknown argument") != std::string::npos);
    CHECK_FALSE(parse({"--crd-establish-delay", "soon"}));
}

TEST_CASE("a kubeconfig names the server, its CA and a token or a client certificate") {
    auto credentials = make_credentials("127.0.0.1", std::string("tok"));
    REQUIRE(credentials);
    std::string url = server_url("127.0.0.1", 6443);
    CHECK(url == "https://127.0.0.1:6443");
    CHECK(server_url("::1", 1) == "https://[::1]:1");
    CHECK(server_url("0.0.0.0", 2) == "https://127.0.0.1:2");
    std::string with_token = kubeconfig_yaml(url, *credentials, AuthMode::token);
    CHECK(with_token.find("    server: https://127.0.0.1:6443\n") != std::string::npos);
    CHECK(with_token.find("    certificate-authority-data: LS0t") != std::string::npos);
    CHECK(with_token.find("    token: tok\n") != std::string::npos);
    CHECK(with_token.find("client-certificate-data") == std::string::npos);
    std::string with_cert = kubeconfig_yaml(url, *credentials, AuthMode::cert);
    CHECK(with_cert.find("    client-certificate-data: LS0t") != std::string::npos);
    CHECK(with_cert.find("    client-key-data: LS0t") != std::string::npos);
    CHECK(with_cert.find("token:") == std::string::npos);
    auto random = make_credentials("localhost", std::nullopt);
    REQUIRE(random);
    CHECK(random->token.starts_with("kts_"));
    CHECK(random->token != credentials->token);
}
