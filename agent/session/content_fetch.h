#pragma once
// Downloads spec content the desired set needs, one digest at a time, over
// the current session: Fetch{digest, offset = bytes already stored} and
// then the hub's Chunk frames in order until last. Every chunk is appended
// to the cache as it arrives, so a broken link resumes from the stored
// length. On the last chunk the stream is inflated (64 MiB limit) and must
// hash to its digest before it is stored as content.
//
// A chunk that does not continue the stored bytes (wrong digest or offset)
// discards the partial download and refetches from 0; chunks still in
// flight from the abandoned stream are skipped until the restarted one
// begins. A hub that keeps doing this ends the session. Content that fails
// its digest check is discarded and fetched once more; a second failure
// skips that digest until the next session.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "agent/cache/cache.h"
#include "common/error.h"
#include "drover.pb.h"

namespace drover::session {

// Largest spec accepted, compressed and inflated alike.
constexpr size_t kMaxSpecBytes = 64 << 20;

class ContentFetch {
public:
    using Send = std::function<void(const v1::Envelope&)>;

    // content_stored runs after a spec was stored (wakes the reconciler).
    ContentFetch(cache::Cache& cache, Send send, std::function<void()> content_stored);

    // Starts the next download if none is running and a desired digest
    // lacks content.
    void pump();
    // An error ends the session.
    Result<void> on_chunk(const v1::Chunk& chunk);
    // The digest being downloaded, if any.
    const std::optional<std::string>& current() const { return digest_; }
    // Stop the running download if its digest is not in `desired` (a new
    // desired set replaced it). Chunks of that stream still on the wire are
    // ignored for the rest of the session.
    void abandon_unless(const std::set<std::string>& desired);
    // While held, pump() starts nothing: after a Welcome that announces a
    // DesiredState, the cached set is stale and must not be fetched.
    void hold(bool held) { held_ = held; }

private:
    void start(const std::string& digest);
    Result<void> restart(const std::string& why);
    void finish();
    void give_up(const std::string& why);

    cache::Cache& cache_;
    Send send_;
    std::function<void()> content_stored_;
    std::optional<std::string> digest_;
    bool resync_ = false;  // waiting for the restarted stream's offset-0 chunk
    int restarts_ = 0;
    std::map<std::string, int> failures_;  // per digest, this session
    std::set<std::string> abandoned_;      // streams whose tail is ignored
    bool held_ = false;
};

}  // namespace drover::session
