#pragma once
// The Kubernetes API over HTTPS with libcurl. One easy handle is reused for
// every request, so the connection (and its TLS session) stays open between
// requests. Trust and credentials come from memory (the kubeconfig's PEM
// blobs), never from the system's CA directory unless the kubeconfig names
// no CA. A token file (in-cluster service accounts) is read again once a
// minute: the kubelet rotates it.
//
// Not thread-safe: one RestClient per thread (the reconciler's).
#include <chrono>
#include <memory>

#include "agent/apply/kube/kubeconfig.h"
#include "agent/apply/kube/transport.h"
#include "common/error.h"

namespace drover::kube {

struct RestOptions {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{30'000};  // the whole exchange
    size_t max_response_bytes = 64 << 20;                // a larger answer is an error, not an allocation
};

class RestClient final : public Transport {
public:
    // Fails on a kubeconfig libcurl cannot use (say, an unreadable key).
    static Result<std::unique_ptr<RestClient>> create(KubeConfig config, RestOptions options = {});
    ~RestClient() override;
    RestClient(const RestClient&) = delete;
    RestClient& operator=(const RestClient&) = delete;

    std::expected<HttpResponse, TransportError> send(const HttpRequest& request) override;
    const KubeConfig& config() const { return config_; }

private:
    struct Handle;
    RestClient(KubeConfig config, RestOptions options, std::unique_ptr<Handle> handle);
    void refresh_token();

    KubeConfig config_;
    RestOptions options_;
    std::unique_ptr<Handle> handle_;
    std::chrono::steady_clock::time_point token_read_at_;
};

}  // namespace drover::kube
