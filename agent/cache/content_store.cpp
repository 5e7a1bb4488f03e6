#include "agent/cache/content_store.h"

#include <climits>
#include <vector>

#include "agent/cache/statement_reuse.h"
#include "agent/cache/transaction_scope.h"
#include "common/text.h"

namespace drover::cache {

namespace {

// An open incremental-I/O handle on one blob.
class BlobHandle {
public:
    BlobHandle(sql::Db& db, const char* table, const char* column, int64_t rowid) {
        if (sqlite3_blob_open(db.raw(), "main", table, column, rowid, 1, &blob_) != SQLITE_OK)
            throw sql::Failure(cat("sqlite: cannot open ", table, ".", column, " for writing: ", sqlite3_errmsg(db.raw())));
    }
    ~BlobHandle() { sqlite3_blob_close(blob_); }
    BlobHandle(const BlobHandle&) = delete;
    BlobHandle& operator=(const BlobHandle&) = delete;

    void write(std::string_view bytes, int offset) {
        int rc = sqlite3_blob_write(blob_, bytes.data(), static_cast<int>(bytes.size()), offset);
        if (rc != SQLITE_OK) throw sql::Failure(cat("sqlite: blob write: ", sqlite3_errstr(rc)));
    }

private:
    sqlite3_blob* blob_ = nullptr;
};

}  // namespace

ContentStore::ContentStore(sql::Db& db)
    : db_(db),
      get_(db.prepare("SELECT spec FROM content WHERE digest = ?")),
      has_(db.prepare("SELECT 1 FROM content WHERE digest = ?")),
      // Pieces are contiguous (append_partial), so the end of the last one
      // is the stored length: one probe of the (digest, offset) key.
      partial_len_(db.prepare("SELECT offset + length(data) FROM partial WHERE digest = ? ORDER BY offset DESC LIMIT 1")),
      partial_pieces_(db.prepare("SELECT data FROM partial WHERE digest = ? ORDER BY offset")),
      add_piece_(db.prepare("INSERT INTO partial(digest, offset, data) VALUES (?, ?, ?)")),
      drop_partial_(db.prepare("DELETE FROM partial WHERE digest = ?")),
      put_(db.prepare("INSERT OR REPLACE INTO content(digest, spec) VALUES (?, ?)")),
      put_zeroed_(db.prepare("INSERT OR REPLACE INTO content(digest, spec) VALUES (?, zeroblob(?))")),
      drop_(db.prepare("DELETE FROM content WHERE digest = ?")),
      content_digests_(db.prepare("SELECT digest FROM content")),
      partial_digests_(db.prepare("SELECT DISTINCT digest FROM partial")) {}

std::optional<std::string> ContentStore::spec(std::string_view digest) {
    Reuse s(get_);
    s->bind_blob(1, digest);
    if (!s->step()) return std::nullopt;
    return s->blob(0);
}

bool ContentStore::has(std::string_view digest) {
    Reuse s(has_);
    s->bind_blob(1, digest);
    return s->step();
}

uint64_t ContentStore::partial_length(std::string_view digest) {
    Reuse s(partial_len_);
    s->bind_blob(1, digest);
    if (!s->step()) return 0;
    return static_cast<uint64_t>(s->int64(0));
}

Result<void> ContentStore::append_partial(std::string_view digest, uint64_t offset, std::string_view data) {
    WriteScope scope(db_);
    uint64_t have = partial_length(digest);
    if (offset != have) return fail(cat("piece at offset ", offset, " does not continue the ", have, " bytes stored"));
    if (!data.empty()) {
        Reuse s(add_piece_);
        s->bind_blob(1, digest).bind(2, static_cast<int64_t>(offset)).bind_blob(3, data).run();
    }
    scope.commit();
    return {};
}

Result<void> ContentStore::read_partial(std::string_view digest, const Sink& piece) {
    ReadScope snapshot(db_);
    Reuse s(partial_pieces_);
    s->bind_blob(1, digest);
    while (s->step())
        if (auto ok = piece(s->blob(0)); !ok) return ok;
    return {};
}

std::string ContentStore::partial(std::string_view digest) {
    std::string out;
    (void)read_partial(digest, [&out](std::string_view piece) -> Result<void> {
        out += piece;
        return {};
    });
    return out;
}

void ContentStore::drop_partial(std::string_view digest) {
    Reuse s(drop_partial_);
    s->bind_blob(1, digest).run();
}

void ContentStore::complete(std::string_view digest, std::string_view spec) {
    WriteScope scope(db_);
    {
        Reuse s(put_);
        s->bind_blob(1, digest).bind_blob(2, spec).run();
    }
    drop_partial(digest);
    scope.commit();
}

Result<void> ContentStore::complete(std::string_view digest, uint64_t size,
                                    const std::function<Result<void>(const Sink&)>& fill) {
    // sqlite3_blob_write takes int offsets.
    if (size > static_cast<uint64_t>(INT_MAX)) return fail(cat("a spec of ", size, " bytes is too large to store"));
    WriteScope scope(db_);
    {
        Reuse s(put_zeroed_);
        s->bind_blob(1, digest).bind(2, static_cast<int64_t>(size)).run();
    }
    uint64_t written = 0;
    Result<void> filled;
    {
        BlobHandle blob(db_, "content", "spec", db_.last_insert_rowid());
        filled = fill([&](std::string_view bytes) -> Result<void> {
            if (bytes.size() > size - written) return fail(cat("spec is longer than the ", size, " bytes expected"));
            blob.write(bytes, static_cast<int>(written));
            written += bytes.size();
            return {};
        });
    }
    if (filled && written != size) filled = fail(cat("spec is ", written, " bytes, not the ", size, " expected"));
    if (!filled) {
        // Undo the row here too: a joined transaction commits with its owner.
        drop(digest);
        return filled;
    }
    drop_partial(digest);
    scope.commit();
    return {};
}

void ContentStore::drop(std::string_view digest) {
    Reuse s(drop_);
    s->bind_blob(1, digest).run();
}

void ContentStore::keep_only(const std::set<std::string>& keep) {
    WriteScope scope(db_);
    std::vector<std::string> stale_content, stale_partial;
    {
        Reuse s(content_digests_);
        while (s->step())
            if (!keep.count(s->blob(0))) stale_content.push_back(s->blob(0));
    }
    {
        Reuse s(partial_digests_);
        while (s->step())
            if (!keep.count(s->blob(0))) stale_partial.push_back(s->blob(0));
    }
    for (auto& d : stale_content) drop(d);
    for (auto& d : stale_partial) drop_partial(d);
    scope.commit();
}

}  // namespace drover::cache
