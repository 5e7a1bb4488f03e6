#pragma once
// How to reach a Kubernetes API server and prove who we are: read from a
// kubeconfig file (K3s writes /etc/rancher/k3s/k3s.yaml) or from the
// in-cluster service account.
//
// From a kubeconfig only current-context is used: its cluster (server,
// certificate-authority[-data], insecure-skip-tls-verify)
// and user (client-certificate[-data] + client-key[-data], token,
// tokenFile). Relative paths are relative to the kubeconfig's directory.
// exec and auth-provider credential plugins, basic auth, tls-server-name and
// proxy-url are refused with an error naming them (HTTPS_PROXY and NO_PROXY
// from the environment do apply, through libcurl). A KUBECONFIG list (a:b:c) is not merged as kubectl
// does: its first existing file is used.
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::kube {

struct KubeConfig {
    std::string server;  // "https://127.0.0.1:6443", without a trailing '/'
    std::string ca_pem;  // empty: the system trust store
    bool insecure_skip_tls_verify = false;
    std::string client_cert_pem;
    std::string client_key_pem;
    std::string token;       // bearer token as read at load time
    std::string token_file;  // when set, re-read by the client (service account tokens rotate)
    std::string ns;          // the context's or service account's namespace; may be empty
    std::string origin;      // where this came from, for logs: "kubeconfig FILE, context NAME"
};

// file names the source in errors and anchors relative paths.
Result<KubeConfig> parse_kubeconfig(std::string_view yaml, const std::string& file);
Result<KubeConfig> load_kubeconfig(const std::string& file);

struct InClusterEnvironment {
    std::string service_host;  // $KUBERNETES_SERVICE_HOST
    std::string service_port;  // $KUBERNETES_SERVICE_PORT
    std::string account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};
// The pod's service account: token (as token_file), ca.crt, namespace.
Result<KubeConfig> in_cluster_config(const InClusterEnvironment& env);

constexpr const char* kK3sKubeconfig = "/etc/rancher/k3s/k3s.yaml";

struct ConfigSources {
    std::string flag;        // --kubeconfig
    std::string env;         // $KUBECONFIG
    InClusterEnvironment in_cluster;
    std::string k3s = kK3sKubeconfig;
    static ConfigSources from_process(std::string flag);  // reads the environment
};
// --kubeconfig FILE, else $KUBECONFIG, else the in-cluster service account
// (when KUBERNETES_SERVICE_HOST is set), else the K3s kubeconfig. An explicit
// choice that does not work is an error, never a fall-through.
Result<KubeConfig> locate_kubeconfig(const ConfigSources& sources);

}  // namespace drover::kube
