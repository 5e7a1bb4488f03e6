#pragma once
// The hub as a Git remote over smart HTTP, at /git/fleet.git (or /git/fleet):
//   GET  .../info/refs?service=git-upload-pack|git-receive-pack   ref discovery
//   POST .../git-upload-pack                                      clone, fetch
//   POST .../git-receive-pack                                     push
// Discovery is answered on the event loop (reading a few refs); clones and
// pushes run on the worker pool and answer through `respond`, called back
// on the loop. Every request needs the admin token or a push token (HTTP
// basic with the token as password, or bearer), except clones and fetches
// when anonymous_read is set. In mirror mode the hub follows an upstream
// repository and refuses pushes.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "hub/server/body_spool.h"
#include "hub/server/fleet.h"
#include "hub/server/http_message.h"
#include "hub/server/push_handler.h"
#include "hub/server/worker_pool.h"

namespace drover::hub {

struct GitEndpointOptions {
    std::string repo_path;
    std::string branch = "main";
    bool anonymous_read = false;
    std::string mirror_of;  // upstream URL (redacted) in mirror mode; "" otherwise
    // Decoded request body limits. lws 4.1 treats a chunked body as at most
    // 100 MiB, so larger pushes cannot be received: split them.
    uint64_t max_push_bytes = 96ull << 20;
    uint64_t max_fetch_request_bytes = 16ull << 20;
    std::string agent = "drover";
};

// What to do with a request whose headers have arrived.
struct GitBegin {
    std::optional<HttpResponse> reply;  // answer now (the body, if any, is not wanted)
    std::optional<BodySpool> spool;     // or: receive the body into this, then call finish()
    std::string caller;                 // who was authenticated: "admin", a push token id, "anonymous"
};

class GitEndpoint {
public:
    using Respond = std::function<void(HttpResponse)>;
    // post: runs a function on the event loop (LwsServer::post).
    GitEndpoint(Fleet& fleet, GitEndpointOptions options, PushHandler& push, WorkerPool& workers,
                std::function<void(std::function<void()>)> post);

    static bool handles(const std::string& path);
    GitBegin begin(const HttpRequest& request);
    // The body is complete (decoded). `caller` is begin()'s. respond is
    // called once, on the loop.
    void finish(const HttpRequest& request, const std::string& caller, BodySpool body, Respond respond);

private:
    enum class Route { none, info_refs, upload_pack, receive_pack };
    Route route(const std::string& path) const;
    std::optional<HttpResponse> refuse(const HttpRequest& request, bool push, std::string* caller);
    HttpResponse advertise(bool push);

    Fleet& fleet_;
    GitEndpointOptions options_;
    PushHandler& push_;
    WorkerPool& workers_;
    std::function<void(std::function<void()>)> post_;
};

}  // namespace drover::hub
