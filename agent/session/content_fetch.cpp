#include "agent/session/content_fetch.h"

#include "common/crypto.h"
#include "common/deflate.h"
#include "common/log.h"
#include "common/text.h"

namespace drover::session {

namespace {

// Restarts tolerated per session before the hub is considered broken.
constexpr int kMaxRestarts = 8;
// Corrupt downloads of one digest per session before it is skipped.
constexpr int kMaxFailures = 2;

std::string short_hex(const std::string& digest) { return hex_encode(digest).substr(0, 12); }

}  // namespace

ContentFetch::ContentFetch(cache::Cache& cache, Send send, std::function<void()> content_stored)
    : cache_(cache), send_(std::move(send)), content_stored_(std::move(content_stored)) {}

void ContentFetch::pump() {
    if (digest_ || held_) return;
    for (auto& d : cache_.desired().load().bundles) {
        if (cache_.content().has(d.digest)) continue;
        if (failures_[d.digest] >= kMaxFailures) continue;
        start(d.digest);
        return;
    }
}

void ContentFetch::start(const std::string& digest) {
    // Desired again after being abandoned: a stray chunk of the old stream
    // that does not continue the stored bytes restarts cleanly (see on_chunk).
    abandoned_.erase(digest);
    digest_ = digest;
    resync_ = false;
    uint64_t offset = cache_.content().partial_length(digest);
    log::debug("fetching spec ", short_hex(digest), offset ? cat(" from byte ", offset) : std::string());
    v1::Envelope env;
    env.mutable_fetch()->set_digest(digest);
    env.mutable_fetch()->set_offset(offset);
    send_(env);
}

Result<void> ContentFetch::restart(const std::string& why) {
    log::warn("spec ", short_hex(*digest_), ": ", why, "; discarding the partial download and fetching from 0");
    if (++restarts_ > kMaxRestarts) return fail(cat("hub keeps sending chunks out of order (", why, ")"));
    cache_.content().drop_partial(*digest_);
    resync_ = true;
    v1::Envelope env;
    env.mutable_fetch()->set_digest(*digest_);
    env.mutable_fetch()->set_offset(0);
    send_(env);
    return {};
}

void ContentFetch::give_up(const std::string& why) {
    std::string d = *digest_;
    int failures = ++failures_[d];
    log::error("spec ", short_hex(d), ": ", why, "; discarded",
               failures >= kMaxFailures ? " (not fetching it again until the next session)" : ", fetching again");
    cache_.content().drop_partial(d);
    digest_.reset();
    pump();
}

void ContentFetch::abandon_unless(const std::set<std::string>& desired) {
    if (!digest_ || desired.count(*digest_)) return;
    log::info("abandoning the download of ", short_hex(*digest_), ": no longer desired");
    abandoned_.insert(*digest_);
    digest_.reset();
    resync_ = false;
}

Result<void> ContentFetch::on_chunk(const v1::Chunk& chunk) {
    if (abandoned_.count(chunk.digest())) return {};
    if (!digest_) {
        log::debug("ignoring a chunk for ", short_hex(chunk.digest()), ": no download running");
        return {};
    }
    if (chunk.digest() != *digest_) {
        if (resync_) return {};  // tail of an abandoned stream
        return restart(cat("received a chunk of spec ", short_hex(chunk.digest())));
    }
    if (resync_) {
        if (chunk.offset() != 0) return {};
        resync_ = false;
    }
    uint64_t have = cache_.content().partial_length(*digest_);
    if (chunk.offset() != have) return restart(cat("chunk at offset ", chunk.offset(), " but ", have, " bytes stored"));
    if (chunk.total() > kMaxSpecBytes || have + chunk.data().size() > kMaxSpecBytes) {
        give_up(cat("compressed spec exceeds ", kMaxSpecBytes, " bytes"));
        return {};
    }
    if (auto appended = cache_.content().append_partial(*digest_, have, chunk.data()); !appended)
        return fail(appended.error().message);  // cannot happen: the offset was checked above
    if (!chunk.last()) return {};
    finish();
    return {};
}

void ContentFetch::finish() {
    std::string d = *digest_;
    std::string compressed = cache_.content().partial(d);
    auto spec = inflate_bytes(compressed, kMaxSpecBytes);
    if (!spec) return give_up(spec.error().message);
    if (sha256(*spec) != d) return give_up("content does not match its digest");
    cache_.content().complete(d, *spec);
    log::info("fetched spec ", short_hex(d), " (", spec->size(), " bytes)");
    digest_.reset();
    failures_.erase(d);
    if (content_stored_) content_stored_();
    pump();
}

}  // namespace drover::session
