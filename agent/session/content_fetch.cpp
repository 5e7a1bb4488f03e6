#include "agent/session/content_fetch.h"

#include <stdexcept>

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

ContentFetch::~ContentFetch() {
    try {
        store_received();
    } catch (const std::exception& e) {
        // The bytes are fetched again next time; nothing else is lost.
        log::warn("could not store the last received bytes of a download: ", e.what());
    }
}

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
    received_.clear();
    stored_ = cache_.content().partial_length(digest);
    if (stored_ > 0)
        log::info("resuming the download of spec ", short_hex(digest), " from byte ", stored_);
    else
        log::debug("fetching spec ", short_hex(digest));
    v1::Envelope env;
    env.mutable_fetch()->set_digest(digest);
    env.mutable_fetch()->set_offset(stored_);
    send_(env);
}

void ContentFetch::store_received() {
    if (!digest_ || received_.empty()) return;
    if (auto appended = cache_.content().append_partial(*digest_, stored_, received_); !appended)
        // Only this class writes pieces of a running download: a bug.
        throw std::logic_error(appended.error().message);
    stored_ += received_.size();
    received_.clear();
}

void ContentFetch::forget_download() {
    cache_.content().drop_partial(*digest_);
    stored_ = 0;
    received_.clear();
}

Result<void> ContentFetch::restart(const std::string& why) {
    log::warn("spec ", short_hex(*digest_), ": ", why, "; discarding the partial download and fetching from 0");
    if (++restarts_ > kMaxRestarts) return fail(cat("hub keeps sending chunks out of order (", why, ")"));
    forget_download();
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
    forget_download();
    digest_.reset();
    pump();
}

void ContentFetch::abandon_unless(const std::set<std::string>& desired) {
    if (!digest_ || desired.count(*digest_)) return;
    log::info("abandoning the download of ", short_hex(*digest_), ": no longer desired");
    abandoned_.insert(*digest_);
    received_.clear();  // its stored part goes with the rest of the undesired content
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
    uint64_t have = stored_ + received_.size();
    if (chunk.offset() != have) return restart(cat("chunk at offset ", chunk.offset(), " but ", have, " bytes received"));
    if (chunk.total() > kMaxCompressedSpecBytes || chunk.data().size() > kMaxCompressedSpecBytes - have) {
        give_up(cat("compressed spec exceeds ", kMaxCompressedSpecBytes, " bytes"));
        return {};
    }
    received_ += chunk.data();
    if (received_.size() >= kStorePieceBytes || chunk.last()) store_received();
    if (!chunk.last()) return {};
    finish();
    return {};
}

Result<uint64_t> ContentFetch::inflate_stored(const std::string& digest, const cache::ContentStore::Sink& out) {
    Inflater inflater(kMaxSpecBytes);
    auto read = cache_.content().read_partial(digest, [&](std::string_view piece) { return inflater.feed(piece, out); });
    if (!read) return fail(read.error().message);
    if (auto ended = inflater.finish(); !ended) return fail(ended.error().message);
    return inflater.total_out();
}

void ContentFetch::finish() {
    std::string d = *digest_;
    // First pass: size and digest, keeping nothing.
    Sha256 hash;
    auto size = inflate_stored(d, [&hash](std::string_view bytes) -> Result<void> {
        hash.update(bytes);
        return {};
    });
    if (!size) return give_up(size.error().message);
    if (hash.finish() != d) return give_up("content does not match its digest");
    // Second pass: into the content row. The pieces are only written by
    // this class on this thread, so they are the bytes just verified (and
    // the reconciler checks the digest again before it applies anything).
    auto stored = cache_.content().complete(d, *size, [&](const cache::ContentStore::Sink& write) -> Result<void> {
        auto again = inflate_stored(d, write);
        if (!again) return fail(again.error().message);
        return {};
    });
    if (!stored) return give_up(stored.error().message);
    log::info("fetched spec ", short_hex(d), " (", *size, " bytes)");
    digest_.reset();
    stored_ = 0;
    received_ = std::string();  // release the piece buffer
    failures_.erase(d);
    if (content_stored_) content_stored_();
    pump();
}

}  // namespace drover::session
