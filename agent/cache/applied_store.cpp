#include "agent/cache/applied_store.h"

#include "agent/cache/statement_reuse.h"
#include "proto/states.h"

namespace drover::cache {

static constexpr const char* kColumns = "bundle, digest, revision, state, message, inventory, keep_resources";

AppliedStore::AppliedStore(sql::Db& db)
    : all_(db.prepare(std::string("SELECT ") + kColumns + " FROM applied ORDER BY bundle")),
      find_(db.prepare(std::string("SELECT ") + kColumns + " FROM applied WHERE bundle = ?")),
      put_(db.prepare(std::string("INSERT OR REPLACE INTO applied(") + kColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?)")),
      remove_(db.prepare("DELETE FROM applied WHERE bundle = ?")) {}

static AppliedRecord read_row(sql::Stmt& s) {
    AppliedRecord r;
    r.bundle = s.text(0);
    r.digest = s.blob(1);
    r.revision = s.text(2);
    // A state this binary does not know reads as unspecified: the bundle is
    // then treated as not applied and applied again.
    r.state = parse_state(s.text(3)).value_or(v1::STATE_UNSPECIFIED);
    r.message = s.text(4);
    r.inventory_json = s.text(5);
    r.keep_resources = s.int64(6) != 0;
    return r;
}

std::vector<AppliedRecord> AppliedStore::load_all() {
    Reuse s(all_);
    std::vector<AppliedRecord> out;
    while (s->step()) out.push_back(read_row(*s));
    return out;
}

std::optional<AppliedRecord> AppliedStore::find(const std::string& bundle) {
    Reuse s(find_);
    s->bind(1, bundle);
    if (!s->step()) return std::nullopt;
    return read_row(*s);
}

void AppliedStore::put(const AppliedRecord& r) {
    Reuse s(put_);
    s->bind(1, r.bundle).bind_blob(2, r.digest).bind(3, r.revision).bind(4, std::string_view(state_name(r.state)));
    s->bind(5, r.message).bind(6, r.inventory_json).bind(7, int64_t{r.keep_resources ? 1 : 0});
    s->run();
}

void AppliedStore::remove(const std::string& bundle) {
    Reuse s(remove_);
    s->bind(1, bundle).run();
}

}  // namespace drover::cache
