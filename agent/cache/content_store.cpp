#include "agent/cache/content_store.h"

#include <vector>

#include "agent/cache/statement_reuse.h"
#include "agent/cache/transaction_scope.h"
#include "common/text.h"

namespace drover::cache {

ContentStore::ContentStore(sql::Db& db)
    : db_(db),
      get_(db.prepare("SELECT spec FROM content WHERE digest = ?")),
      has_(db.prepare("SELECT 1 FROM content WHERE digest = ?")),
      partial_len_(db.prepare("SELECT COALESCE(SUM(length(data)), 0) FROM partial WHERE digest = ?")),
      partial_pieces_(db.prepare("SELECT data FROM partial WHERE digest = ? ORDER BY offset")),
      add_piece_(db.prepare("INSERT INTO partial(digest, offset, data) VALUES (?, ?, ?)")),
      drop_partial_(db.prepare("DELETE FROM partial WHERE digest = ?")),
      put_(db.prepare("INSERT OR REPLACE INTO content(digest, spec) VALUES (?, ?)")),
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
    s->step();
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

std::string ContentStore::partial(std::string_view digest) {
    ReadScope snapshot(db_);
    Reuse s(partial_pieces_);
    s->bind_blob(1, digest);
    std::string out;
    while (s->step()) out += s->blob(0);
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
