#pragma once
// Downloads spec content the desired set needs, one digest at a time, over
// the current session: Fetch{digest, offset = bytes already stored} and
// then the hub's Chunk frames in order until last. Received bytes are
// stored in the cache's `partial` table as they arrive, in pieces of about
// kStorePieceBytes; the rest is stored when the session ends (the link
// broke), so the next session resumes from the last byte received. On the
// last chunk the stream is inflated and must hash to its digest before it is
// stored as content.
//
// A chunk that does not continue the received bytes (wrong digest or
// offset) discards the partial download and refetches from 0; chunks still
// in flight from the abandoned stream are skipped until the restarted one
// begins. A hub that keeps doing this ends the session. Content that fails
// its digest check (or does not inflate, or inflates past kMaxSpecBytes) is
// discarded and fetched once more; a second failure skips that digest until
// the next session.
//
// Memory and time for big specs (tens of MiB): at most kStorePieceBytes of
// received content is held; the finished download is inflated twice from
// the stored pieces, once to check size and digest and once into the
// content row, so no whole spec (compressed or not) is held in memory.
// That work runs on the caller's thread (the link's event loop): about
// 1-1.5 s for a 60 MiB spec on one core of the 2-core test machine.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "agent/cache/cache.h"
#include "common/error.h"
#include "drover.pb.h"

namespace drover::session {

// Largest spec accepted, inflated. At least the hub's own limit
// (render::Limits::max_spec_bytes; agent tests check that they agree): an
// agent must accept every spec the hub renders. The reconciler holds the
// spec text, its parsed objects and the applier's rendering of an object
// while it applies or checks drift, so an agent needs 2.5-4x the spec size
// in memory at its peak (measured: 152 MiB applying a 62 MiB spec, 242 MiB
// in its drift checks): up to ~500 MiB for the largest.
constexpr size_t kMaxSpecBytes = 128 << 20;
// Largest compressed stream accepted: deflate expands incompressible input
// by a little (zlib's compressBound: about 0.03% plus a few bytes).
constexpr size_t kMaxCompressedSpecBytes = kMaxSpecBytes + kMaxSpecBytes / 1024 + 1024;
// Received bytes are stored once this many have accumulated (and at the
// end of the stream, and when the session ends): one transaction, so one
// fsync with synchronous=FULL, per MiB instead of per 64 KiB chunk. A power
// loss mid-download costs at most this much to fetch again.
constexpr size_t kStorePieceBytes = 1 << 20;

class ContentFetch {
public:
    using Send = std::function<void(const v1::Envelope&)>;

    // content_stored runs after a spec was stored (wakes the reconciler).
    ContentFetch(cache::Cache& cache, Send send, std::function<void()> content_stored);
    // Stores the bytes received and not yet stored, so that the next session
    // resumes after them.
    ~ContentFetch();
    ContentFetch(const ContentFetch&) = delete;
    ContentFetch& operator=(const ContentFetch&) = delete;

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
    void store_received();
    void finish();
    void give_up(const std::string& why);
    void forget_download();
    // Inflates the stored stream of digest into `out`; its inflated size.
    Result<uint64_t> inflate_stored(const std::string& digest, const cache::ContentStore::Sink& out);

    cache::Cache& cache_;
    Send send_;
    std::function<void()> content_stored_;
    std::optional<std::string> digest_;
    uint64_t stored_ = 0;   // bytes of digest_ in the cache
    std::string received_;  // bytes after those, not stored yet
    bool resync_ = false;   // waiting for the restarted stream's offset-0 chunk
    int restarts_ = 0;
    std::map<std::string, int> failures_;  // per digest, this session
    std::set<std::string> abandoned_;      // streams whose tail is ignored
    bool held_ = false;
};

}  // namespace drover::session
