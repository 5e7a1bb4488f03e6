#pragma once
// Spec content by digest. `content` holds only complete, verified spec JSON
// (sha256 == digest); `partial` holds the compressed bytes of a download in
// progress as contiguous pieces, so a broken link resumes from the stored
// length instead of starting over.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/sqlite.h"

namespace drover::cache {

class ContentStore {
public:
    explicit ContentStore(sql::Db& db);

    std::optional<std::string> spec(std::string_view digest);
    bool has(std::string_view digest);
    // Compressed bytes stored so far for digest (0 when none).
    uint64_t partial_length(std::string_view digest);
    // Appends a piece at `offset`; refused unless offset == partial_length().
    Result<void> append_partial(std::string_view digest, uint64_t offset, std::string_view data);
    std::string partial(std::string_view digest);
    void drop_partial(std::string_view digest);
    // Stores the spec and forgets its partial download, in one transaction
    // (joins the caller's). The caller has verified sha256(spec) == digest.
    void complete(std::string_view digest, std::string_view spec);
    void drop(std::string_view digest);
    // Deletes content and partial downloads for every digest not in keep.
    void keep_only(const std::set<std::string>& keep);

private:
    sql::Db& db_;
    sql::Stmt get_, has_, partial_len_, partial_pieces_, add_piece_, drop_partial_, put_, drop_, content_digests_,
        partial_digests_;
};

}  // namespace drover::cache
