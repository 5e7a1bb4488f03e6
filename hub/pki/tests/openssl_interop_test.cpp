// The hub's certificates are consumed by OpenSSL (libwebsockets links it) and
// by git and curl clients: check them with the real openssl CLI. Skipped, with
// a message, where no openssl binary is installed.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "common/fs.h"
#include "common/text.h"
#include "common/testing/command.h"
#include "common/testing/temp_dir.h"
#include "hub/pki/certificates.h"

using namespace drover;
using namespace drover::pki;
using drover::testing::TempDir;

namespace {

// stdout and stderr of command.
drover::testing::CommandResult run(const std::string& command) {
    return drover::testing::run_command(command + " 2>&1 </dev/null");
}

bool have_openssl() { return std::system("command -v openssl >/dev/null 2>&1") == 0; }

struct Pki {
    TempDir dir;
    std::string ca, cert, key, other_ca;
    Pki() {
        auto made_ca = create_ca("drover interop CA");
        REQUIRE(made_ca);
        auto server = issue_server_certificate(*made_ca, {"localhost", "127.0.0.1", "::1", "hub.example.net"});
        REQUIRE(server);
        auto other = create_ca("unrelated CA");
        REQUIRE(other);
        ca = dir / "ca.pem";
        cert = dir / "server.pem";
        key = dir / "server.key";
        other_ca = dir / "other-ca.pem";
        REQUIRE(write_file_atomic(ca, made_ca->cert_pem));
        REQUIRE(write_file_atomic(cert, server->cert_pem));
        REQUIRE(write_file_atomic(key, server->key_pem, 0600));
        REQUIRE(write_file_atomic(other_ca, other->cert_pem));
    }
};

}  // namespace

TEST_CASE("openssl verifies the server certificate against the CA, by hostname and by IP") {
    if (!have_openssl()) {
        MESSAGE("openssl not installed: interop check skipped");
        return;
    }
    Pki pki;
    auto ok = run(cat("openssl verify -x509_strict -purpose sslserver -CAfile ", pki.ca, " ", pki.cert));
    CHECK_MESSAGE(ok.exit_code == 0, ok.output);
    CHECK(ok.output.find(": OK") != std::string::npos);

    for (const char* check : {"-verify_hostname localhost", "-verify_hostname hub.example.net",
                              "-verify_ip 127.0.0.1", "-verify_ip ::1"}) {
        auto r = run(cat("openssl verify -x509_strict -CAfile ", pki.ca, " ", check, " ", pki.cert));
        CHECK_MESSAGE(r.exit_code == 0, check, ": ", r.output);
    }
    for (const char* check : {"-verify_hostname evil.example", "-verify_ip 10.0.0.1"}) {
        auto r = run(cat("openssl verify -CAfile ", pki.ca, " ", check, " ", pki.cert));
        CHECK_MESSAGE(r.exit_code != 0, check, " should not verify: ", r.output);
    }
    auto wrong_ca = run(cat("openssl verify -CAfile ", pki.other_ca, " ", pki.cert));
    CHECK(wrong_ca.exit_code != 0);
    auto ca_self = run(cat("openssl verify -x509_strict -CAfile ", pki.ca, " ", pki.ca));
    CHECK_MESSAGE(ca_self.exit_code == 0, ca_self.output);
}

TEST_CASE("openssl reads the extensions drover writes") {
    if (!have_openssl()) {
        MESSAGE("openssl not installed: interop check skipped");
        return;
    }
    Pki pki;
    auto leaf = run(cat("openssl x509 -noout -text -in ", pki.cert));
    REQUIRE(leaf.exit_code == 0);
    for (const char* expect : {"Subject: CN = localhost", "Issuer: CN = drover interop CA",
                               "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:hub.example.net",
                               "CA:FALSE", "Digital Signature", "TLS Web Server Authentication",
                               "X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier",
                               "ecdsa-with-SHA256", "NIST CURVE: P-256"}) {
        CHECK_MESSAGE(leaf.output.find(expect) != std::string::npos, "missing: ", expect, "\n", leaf.output);
    }
    auto ca = run(cat("openssl x509 -noout -text -in ", pki.ca));
    REQUIRE(ca.exit_code == 0);
    for (const char* expect : {"CA:TRUE, pathlen:0", "Certificate Sign, CRL Sign", "Subject: CN = drover interop CA"})
        CHECK_MESSAGE(ca.output.find(expect) != std::string::npos, "missing: ", expect, "\n", ca.output);

    auto key = run(cat("openssl pkey -noout -check -in ", pki.key));
    CHECK_MESSAGE(key.exit_code == 0, key.output);
    auto cert_pub = run(cat("openssl x509 -noout -pubkey -in ", pki.cert));
    auto key_pub = run(cat("openssl pkey -pubout -in ", pki.key));
    CHECK(cert_pub.output == key_pub.output);
}

TEST_CASE("a TLS handshake with openssl s_server and s_client succeeds only with the drover CA") {
    if (!have_openssl()) {
        MESSAGE("openssl not installed: handshake check skipped");
        return;
    }
    Pki pki;
    // Port 0: the kernel picks a free port and s_server prints it ("ACCEPT
    // 127.0.0.1:PORT") once it listens; timeout bounds a hung server. -www:
    // answer HTTP instead of relaying stdin, whose EOF would end each session.
    FILE* server = popen(cat("timeout 30 openssl s_server -accept 127.0.0.1:0 -naccept 2 -www -cert ", pki.cert,
                             " -key ", pki.key, " 2>&1 </dev/null")
                             .c_str(),
                         "r");
    REQUIRE(server != nullptr);
    std::string port;
    char line[512];
    while (port.empty() && std::fgets(line, sizeof line, server) != nullptr) {
        std::string_view l = trim(line);
        if (starts_with(l, "ACCEPT 127.0.0.1:")) port = std::string(l.substr(17));
    }
    REQUIRE_MESSAGE(!port.empty(), "s_server did not start");

    auto trusted = run(cat("openssl s_client -brief -connect 127.0.0.1:", port, " -CAfile ", pki.ca,
                           " -verify_return_error -verify_hostname localhost"));
    CHECK_MESSAGE(trusted.exit_code == 0, trusted.output);
    CHECK_MESSAGE(trusted.output.find("Verification: OK") != std::string::npos, trusted.output);

    auto untrusted = run(cat("openssl s_client -brief -connect 127.0.0.1:", port, " -CAfile ", pki.other_ca,
                             " -verify_return_error -verify_hostname localhost"));
    CHECK_MESSAGE(untrusted.exit_code != 0, untrusted.output);
    pclose(server);
}
