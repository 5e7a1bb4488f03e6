#include <doctest/doctest.h>

#include <mbedtls/base64.h>

#include "agent/apply/kube/kubeconfig.h"
#include "common/fs.h"
#include "common/testing/temp_dir.h"

using namespace drover;
using drover::testing::TempDir;

namespace {

std::string b64(const std::string& s) {
    size_t n = 0;
    mbedtls_base64_encode(nullptr, 0, &n, reinterpret_cast<const unsigned char*>(s.data()), s.size());
    std::string out(n, '\0');
    mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &n,
                          reinterpret_cast<const unsigned char*>(s.data()), s.size());
    out.resize(n);
    return out;
}

// The shape K3s writes to /etc/rancher/k3s/k3s.yaml.
std::string k3s_yaml() {
    return "apiVersion: v1\n"
           "clusters:\n"
           "- cluster:\n"
           "    certificate-authority-data: " + b64("CA PEM") + "\n"
           "    server: https://127.0.0.1:6443/\n"
           "  name: default\n"
           "contexts:\n"
           "- context:\n"
           "    cluster: default\n"
           "    user: default\n"
           "  name: default\n"
           "current-context: default\n"
           "kind: Config\n"
           "preferences: {}\n"
           "users:\n"
           "- name: default\n"
           "  user:\n"
           "    client-certificate-data: " + b64("CERT PEM") + "\n"
           "    client-key-data: " + b64("KEY PEM") + "\n";
}

std::string error_of(const std::string& yaml) {
    auto r = kube::parse_kubeconfig(yaml, "k.yaml");
    REQUIRE_FALSE(r);
    return r.error().message;
}

}  // namespace

TEST_CASE("a K3s kubeconfig gives the server, CA and client certificate of its current context") {
    auto c = kube::parse_kubeconfig(k3s_yaml(), "/etc/rancher/k3s/k3s.yaml");
    REQUIRE(c);
    CHECK(c->server == "https://127.0.0.1:6443");
    CHECK(c->ca_pem == "CA PEM");
    CHECK(c->client_cert_pem == "CERT PEM");
    CHECK(c->client_key_pem == "KEY PEM");
    CHECK(c->token.empty());
    CHECK_FALSE(c->insecure_skip_tls_verify);
    CHECK(c->origin == "kubeconfig /etc/rancher/k3s/k3s.yaml, context default");
}

TEST_CASE("kubeconfig files named by path are read relative to the kubeconfig, tokens from tokenFile") {
    TempDir dir;
    REQUIRE(write_file_atomic(dir / "ca.crt", "CA FROM FILE"));
    REQUIRE(write_file_atomic(dir / "token", "  secret-token\n"));
    std::string yaml = "current-context: edge\n"
                       "contexts: [{name: edge, context: {cluster: c, user: u, namespace: apps}}]\n"
                       "clusters: [{name: c, cluster: {server: 'https://10.0.0.1:6443', certificate-authority: ca.crt}}]\n"
                       "users: [{name: u, user: {tokenFile: token}}]\n";
    REQUIRE(write_file_atomic(dir / "config", yaml));
    auto c = kube::load_kubeconfig(dir / "config");
    REQUIRE(c);
    CHECK(c->ca_pem == "CA FROM FILE");
    CHECK(c->token == "secret-token");
    CHECK(c->token_file == dir / "token");
    CHECK(c->ns == "apps");
}

TEST_CASE("kubeconfig errors name the file, line and field") {
    CHECK(error_of("current-context: x\ncontexts: []\n") == "k.yaml: no entry named \"x\" in contexts");
    CHECK(error_of("a: [\n") .find("k.yaml:") == 0);
    CHECK(error_of("- 1\n") == "k.yaml: not a kubeconfig (expected a YAML map)");
    CHECK(error_of("contexts: []\n") == "k.yaml: current-context is not set");

    std::string bad_ca = k3s_yaml();
    bad_ca.replace(bad_ca.find(b64("CA PEM")), b64("CA PEM").size(), "not*base64*");
    CHECK(error_of(bad_ca) == "k.yaml:4: cluster \"default\": certificate-authority-data is not base64");

    std::string exec = "current-context: a\n"
                       "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
                       "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                       "users:\n"
                       "- name: u\n"
                       "  user:\n"
                       "    exec: {command: aws}\n";
    CHECK(error_of(exec) ==
          "k.yaml:7: user \"u\": exec: this credential type is not supported by drover-agent (use a client "
          "certificate or a token)");

    std::string no_key = k3s_yaml();
    no_key.erase(no_key.find("    client-key-data"));
    CHECK(error_of(no_key).find("a client certificate needs its key") != std::string::npos);

    std::string missing_file = "current-context: a\n"
                               "contexts: [{name: a, context: {cluster: c}}]\n"
                               "clusters: [{name: c, cluster: {server: 'https://h', certificate-authority: /nonexistent/ca}}]\n";
    CHECK(error_of(missing_file).find("k.yaml:3: cluster \"c\": certificate-authority: ") == 0);

    std::string not_url = "current-context: a\n"
                          "contexts: [{name: a, context: {cluster: c}}]\n"
                          "clusters: [{name: c, cluster: {server: 'ftp://h'}}]\n";
    CHECK(error_of(not_url) == "k.yaml:3: cluster \"c\": server is not an http(s) URL: \"ftp://h\"");
}

TEST_CASE("in-cluster configuration reads the service account and the service's address") {
    TempDir dir;
    REQUIRE(write_file_atomic(dir / "token", "sa-token\n"));
    REQUIRE(write_file_atomic(dir / "ca.crt", "SA CA"));
    REQUIRE(write_file_atomic(dir / "namespace", "drover-system"));
    auto c = kube::in_cluster_config({"10.43.0.1", "443", dir.path()});
    REQUIRE(c);
    CHECK(c->server == "https://10.43.0.1:443");
    CHECK(c->token == "sa-token");
    CHECK(c->token_file == dir / "token");
    CHECK(c->ca_pem == "SA CA");
    CHECK(c->ns == "drover-system");
    auto v6 = kube::in_cluster_config({"fd00::1", "443", dir.path()});
    REQUIRE(v6);
    CHECK(v6->server == "https://[fd00::1]:443");

    auto missing = kube::in_cluster_config({"10.43.0.1", "443", dir / "nope"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("in-cluster: service account token: ") == 0);
}

TEST_CASE("credentials are looked for in order: --kubeconfig, KUBECONFIG, in-cluster, K3s's file") {
    TempDir dir;
    std::string yaml = "current-context: a\n"
                       "contexts: [{name: a, context: {cluster: c}}]\n"
                       "clusters: [{name: c, cluster: {server: 'https://SERVER'}}]\n";
    for (auto name : {"flag", "env", "k3s"}) {
        std::string text = yaml;
        text.replace(text.find("SERVER"), 6, name);
        REQUIRE(write_file_atomic(dir / name, text));
    }
    REQUIRE(write_file_atomic(dir / "token", "t"));
    REQUIRE(write_file_atomic(dir / "ca.crt", "c"));

    kube::ConfigSources s;
    s.flag = dir / "flag";
    s.env = dir / "missing:" + dir / "env";
    s.in_cluster = {"incluster", "443", dir.path()};
    s.k3s = dir / "k3s";
    CHECK(kube::locate_kubeconfig(s)->server == "https://flag");
    s.flag.clear();
    CHECK(kube::locate_kubeconfig(s)->server == "https://env");
    s.env.clear();
    CHECK(kube::locate_kubeconfig(s)->server == "https://incluster:443");
    s.in_cluster.service_host.clear();
    CHECK(kube::locate_kubeconfig(s)->server == "https://k3s");
    s.k3s = dir / "absent";
    auto none = kube::locate_kubeconfig(s);
    REQUIRE_FALSE(none);
    CHECK(none.error().message.find("no Kubernetes credentials: give --kubeconfig FILE") == 0);

    // An explicit choice that does not work is an error, not a fall-through.
    s.env = dir / "nothing-here";
    s.k3s = dir / "k3s";
    auto env = kube::locate_kubeconfig(s);
    REQUIRE_FALSE(env);
    CHECK(env.error().message == "KUBECONFIG=" + dir / "nothing-here" + ": no such file");
}
