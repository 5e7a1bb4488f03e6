// --ca pins the hub's own CA: an https hub whose certificate comes from that
// CA is reached, one from any other CA is not. The TLS server is `openssl
// s_server -www` with a certificate from hub/pki; skipped, with a message,
// where no openssl binary is installed.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "common/fs.h"
#include "common/text.h"
#include "common/testing/temp_dir.h"
#include "hub/pki/certificates.h"
#include "tools/droverctl/droverctl.h"

using namespace drover;
using namespace drover::ctl;
using drover::testing::TempDir;

namespace {

// `openssl s_server` for `connections` connections on a kernel-chosen port;
// pclose() waits for it, timeout bounds it if a connection never comes.
class TlsServer {
public:
    TlsServer(const std::string& cert, const std::string& key, int connections) {
        pipe_ = popen(cat("timeout 30 openssl s_server -accept 127.0.0.1:0 -www -naccept ", connections, " -cert ",
                          cert, " -key ", key, " 2>&1 </dev/null")
                          .c_str(),
                      "r");
        REQUIRE(pipe_ != nullptr);
        char line[512];
        while (port_.empty() && std::fgets(line, sizeof line, pipe_) != nullptr) {
            std::string_view l = trim(line);
            if (starts_with(l, "ACCEPT 127.0.0.1:")) port_ = std::string(l.substr(17));
        }
        REQUIRE_MESSAGE(!port_.empty(), "openssl s_server did not start");
    }
    ~TlsServer() { pclose(pipe_); }
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;
    std::string url() const { return "https://127.0.0.1:" + port_; }

private:
    FILE* pipe_ = nullptr;
    std::string port_;
};

struct Run {
    int code;
    std::string out, err;
};

Run droverctl(std::vector<std::string> args) {
    std::ostringstream out, err;
    int code = run_droverctl(args, out, err, [](const char*) { return std::optional<std::string>(); });
    return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("--ca trusts the hub's CA and nothing else") {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
        MESSAGE("openssl not installed: TLS pinning check skipped");
        return;
    }
    TempDir dir;
    auto ca = pki::create_ca("droverctl test CA");
    REQUIRE(ca);
    auto server = pki::issue_server_certificate(*ca, {"localhost", "127.0.0.1"});
    REQUIRE(server);
    auto other = pki::create_ca("some other CA");
    REQUIRE(other);
    std::string ca_file = dir / "ca.pem", other_file = dir / "other.pem";
    std::string cert_file = dir / "server.pem", key_file = dir / "server.key";
    REQUIRE(write_file_atomic(ca_file, ca->cert_pem));
    REQUIRE(write_file_atomic(other_file, other->cert_pem));
    REQUIRE(write_file_atomic(cert_file, server->cert_pem));
    REQUIRE(write_file_atomic(key_file, server->key_pem, 0600));

    TlsServer tls(cert_file, key_file, 2);
    // s_server -www answers any GET with an HTML page: getting as far as
    // "malformed JSON" proves the TLS handshake and the HTTP exchange worked.
    auto trusted = droverctl({"--hub", tls.url(), "--token", "t", "--ca", ca_file, "status"});
    CHECK_MESSAGE(trusted.code == 1, trusted.err);
    CHECK_MESSAGE(trusted.err.find("malformed JSON") != std::string::npos, trusted.err);

    auto untrusted = droverctl({"--hub", tls.url(), "--token", "t", "--ca", other_file, "status"});
    CHECK_MESSAGE(untrusted.code == 3, untrusted.err);
    CHECK_MESSAGE(untrusted.err.find("is --ca / DROVER_CA the hub's CA certificate") != std::string::npos, untrusted.err);
}
