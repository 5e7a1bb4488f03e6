// kube-testserver: a Kubernetes API server for tests. See README.md.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "common/fs.h"
#include "common/log.h"
#include "tools/kube-testserver/api_server.h"
#include "tools/kube-testserver/cluster.h"
#include "tools/kube-testserver/credentials.h"
#include "tools/kube-testserver/options.h"
#include "tools/kube-testserver/tls_server.h"

namespace {

drover::kts::TlsServer* g_server = nullptr;

void on_signal(int) {
    if (g_server != nullptr) g_server->stop();
}

int failed(const std::string& message, int code) {
    std::fprintf(stderr, "kube-testserver: %s\n", message.c_str());
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace drover::kts;
    drover::log::set_component("kube-testserver");
    std::vector<std::string> args(argv + 1, argv + argc);
    auto options = parse_options(args);
    if (!options) return failed(options.error().message, 2);
    if (options->help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    auto credentials = make_credentials(options->host, options->token);
    if (!credentials) return failed(credentials.error().message, 1);

    Cluster cluster(CrdEstablishment{options->crd_auto_establish, options->crd_establish_delay});
    ApiServer api(cluster, credentials->token);
    bool verbose = options->verbose;
    auto handler = [&api, verbose](const HttpRequest& request, const Peer& peer) {
        HttpResponse response = api.handle(request, peer);
        if (verbose) drover::log::info(request.method, " ", request.target, " -> ", response.status);
        return response;
    };
    TlsIdentity identity{credentials->server.cert_pem, credentials->server.key_pem, credentials->ca.cert_pem};
    auto server = TlsServer::open(options->host, options->port, identity, handler);
    if (!server) return failed(server.error().message, 1);
    std::string url = server_url(options->host, (*server)->port());
    api.set_server_address(url.substr(std::string_view("https://").size()));
    if (options->kubeconfig_path) {
        auto written = drover::write_file_atomic(*options->kubeconfig_path,
                                                 kubeconfig_yaml(url, *credentials, options->auth), 0600);
        if (!written) return failed(written.error().message, 1);
    }
    (*server)->set_stop_hook([&cluster] { cluster.shutdown(); });

    g_server = server->get();
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    std::printf("listening on %s\n", url.c_str());
    std::fflush(stdout);
    (*server)->run();
    g_server = nullptr;
    return 0;
}
