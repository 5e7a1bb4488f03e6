#include "tools/kube-testserver/credentials.h"

#include <algorithm>

#include "common/crypto.h"
#include "common/text.h"
#include "tools/kube-testserver/base64.h"

namespace drover::kts {

Result<Credentials> make_credentials(const std::string& listen_host, const std::optional<std::string>& token) {
    Credentials out;
    auto ca = pki::create_ca("kube-testserver CA", 30);
    if (!ca) return std::unexpected(ca.error());
    out.ca = std::move(*ca);
    std::vector<std::string> hosts = pki::default_server_hostnames();
    bool wildcard = listen_host == "0.0.0.0" || listen_host == "::" || listen_host.empty();
    if (!wildcard && std::find(hosts.begin(), hosts.end(), listen_host) == hosts.end()) hosts.push_back(listen_host);
    auto server = pki::issue_server_certificate(out.ca, hosts, 30);
    if (!server) return fail(cat("server certificate for ", listen_host, ": ", server.error().message));
    out.server = std::move(*server);
    auto client = pki::issue_client_certificate(out.ca, kClientCommonName, 30);
    if (!client) return std::unexpected(client.error());
    out.client = std::move(*client);
    out.token = token ? *token : random_token("kts_");
    return out;
}

std::string server_url(const std::string& host, uint16_t port) {
    std::string shown = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
    if (shown.find(':') != std::string::npos) shown = "[" + shown + "]";
    return cat("https://", shown, ":", port);
}

std::string kubeconfig_yaml(const std::string& server, const Credentials& credentials, AuthMode auth) {
    std::string user = auth == AuthMode::token
                           ? cat("    token: ", credentials.token, "\n")
                           : cat("    client-certificate-data: ", base64_encode(credentials.client.cert_pem), "\n",
                                 "    client-key-data: ", base64_encode(credentials.client.key_pem), "\n");
    return cat("apiVersion: v1\n", "kind: Config\n", "clusters:\n", "- name: kube-testserver\n", "  cluster:\n",
               "    server: ", server, "\n", "    certificate-authority-data: ", base64_encode(credentials.ca.cert_pem),
               "\n", "contexts:\n", "- name: kube-testserver\n", "  context:\n", "    cluster: kube-testserver\n",
               "    user: ", kClientCommonName, "\n", "    namespace: default\n", "current-context: kube-testserver\n",
               "users:\n", "- name: ", kClientCommonName, "\n", "  user:\n", user, "preferences: {}\n");
}

}  // namespace drover::kts
