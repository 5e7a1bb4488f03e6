#include "agent/cache/desired_store.h"

#include "agent/cache/statement_reuse.h"
#include "agent/cache/transaction_scope.h"

namespace drover::cache {

DesiredStore::DesiredStore(sql::Db& db)
    : db_(db),
      hash_(db.prepare("SELECT hash FROM desired_set WHERE id = 1")),
      list_(db.prepare("SELECT bundle, revision, digest, signature, size FROM desired ORDER BY bundle")),
      find_(db.prepare("SELECT bundle, revision, digest, signature, size FROM desired WHERE bundle = ?")),
      clear_hash_(db.prepare("DELETE FROM desired_set")),
      set_hash_(db.prepare("INSERT INTO desired_set(id, hash) VALUES (1, ?)")),
      clear_(db.prepare("DELETE FROM desired")),
      insert_(db.prepare("INSERT INTO desired(bundle, revision, digest, signature, size) VALUES (?, ?, ?, ?, ?)")) {}

static Deployment read_row(sql::Stmt& s) {
    return Deployment{s.text(0), s.text(1), s.blob(2), s.blob(3), static_cast<uint64_t>(s.int64(4))};
}

DesiredSet DesiredStore::load() {
    // One snapshot, so the hash and the rows belong together.
    ReadScope snapshot(db_);
    DesiredSet set;
    {
        Reuse s(hash_);
        if (s->step()) set.hash = s->blob(0);
    }
    {
        Reuse s(list_);
        while (s->step()) set.bundles.push_back(read_row(*s));
    }
    return set;
}

std::optional<Deployment> DesiredStore::find(const std::string& bundle) {
    Reuse s(find_);
    s->bind(1, bundle);
    if (!s->step()) return std::nullopt;
    return read_row(*s);
}

void DesiredStore::forget_hash() { Reuse(clear_hash_)->run(); }

void DesiredStore::replace(const DesiredSet& set) {
    WriteScope scope(db_);
    Reuse(clear_hash_)->run();
    Reuse(clear_)->run();
    {
        Reuse s(set_hash_);
        s->bind_blob(1, set.hash).run();
    }
    for (auto& d : set.bundles) {
        Reuse s(insert_);
        s->bind(1, d.bundle).bind(2, d.revision).bind_blob(3, d.digest).bind_blob(4, d.signature);
        s->bind(5, static_cast<int64_t>(d.size));
        s->run();
    }
    scope.commit();
}

}  // namespace drover::cache
