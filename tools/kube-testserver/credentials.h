#pragma once
// The test server's own PKI and the kubeconfig that trusts it: a CA made
// at start, a server certificate for localhost, 127.0.0.1, ::1 and the
// listen address, a client certificate (CN kube-testserver-admin) and a
// bearer token. Nothing is persisted but the kubeconfig.
#include <optional>
#include <string>

#include "common/error.h"
#include "hub/pki/certificates.h"
#include "tools/kube-testserver/options.h"

namespace drover::kts {

struct Credentials {
    pki::KeyPair ca, server, client;
    std::string token;
};

constexpr const char* kClientCommonName = "kube-testserver-admin";

Result<Credentials> make_credentials(const std::string& listen_host, const std::optional<std::string>& token);

// "https://127.0.0.1:6443", "https://[::1]:6443".
std::string server_url(const std::string& host, uint16_t port);

// A kubeconfig with one cluster, one user and a current context: the
// cluster's certificate-authority-data, and the user's token or
// client-certificate-data/client-key-data.
std::string kubeconfig_yaml(const std::string& server, const Credentials& credentials, AuthMode auth);

}  // namespace drover::kts
