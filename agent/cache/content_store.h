#pragma once
// Spec content by digest. `content` holds only complete, verified spec JSON
// (sha256 == digest); `partial` holds the compressed bytes of a download in
// progress as contiguous pieces, so a broken link resumes from the stored
// length instead of starting over.
//
// Sizes: specs run to tens of MiB (agent/session/content_fetch.h has the
// limits). Nothing here needs a whole download in memory: the stored length
// is found from the last piece through the primary key, pieces are read back
// one at a time, and a spec can be written into its row in pieces.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/sqlite.h"

namespace drover::cache {

class ContentStore {
public:
    // Receives bytes in order; an error stops the producer and is returned.
    using Sink = std::function<Result<void>(std::string_view)>;

    explicit ContentStore(sql::Db& db);

    std::optional<std::string> spec(std::string_view digest);
    bool has(std::string_view digest);
    // Compressed bytes stored so far for digest (0 when none). One index
    // lookup (the end of the last piece), whatever the number of pieces.
    uint64_t partial_length(std::string_view digest);
    // Appends a piece at `offset`; refused unless offset == partial_length().
    Result<void> append_partial(std::string_view digest, uint64_t offset, std::string_view data);
    // The stored pieces in order, one at a time, from one snapshot; stops at
    // the first error `piece` returns.
    Result<void> read_partial(std::string_view digest, const Sink& piece);
    // All stored pieces joined (small content and tests).
    std::string partial(std::string_view digest);
    void drop_partial(std::string_view digest);
    // Stores the spec and forgets its partial download, in one transaction
    // (joins the caller's). The caller has verified sha256(spec) == digest.
    void complete(std::string_view digest, std::string_view spec);
    // The same for a spec of exactly `size` bytes that `fill` produces in
    // order through the sink it is given: written straight into the row
    // (SQLite incremental blob I/O), never held in memory whole. Nothing is
    // stored when fill fails or produces other than `size` bytes; the
    // partial download is then kept. The caller has verified the bytes fill
    // will produce (sha256 == digest).
    Result<void> complete(std::string_view digest, uint64_t size, const std::function<Result<void>(const Sink&)>& fill);
    void drop(std::string_view digest);
    // Deletes content and partial downloads for every digest not in keep.
    void keep_only(const std::set<std::string>& keep);

private:
    sql::Db& db_;
    sql::Stmt get_, has_, partial_len_, partial_pieces_, add_piece_, drop_partial_, put_, put_zeroed_, drop_,
        content_digests_, partial_digests_;
};

}  // namespace drover::cache
