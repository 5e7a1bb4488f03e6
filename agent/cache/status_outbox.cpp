#include "agent/cache/status_outbox.h"

#include <algorithm>

#include "agent/cache/statement_reuse.h"
#include "agent/cache/transaction_scope.h"
#include "proto/states.h"

namespace drover::cache {

StatusOutbox::StatusOutbox(sql::Db& db)
    : db_(db),
      insert_(db.prepare("INSERT INTO outbox(bundle, digest, revision, state, message, time_unix_ms, resources) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)")),
      pending_(db.prepare("SELECT seq, bundle, digest, revision, state, message, time_unix_ms, resources "
                          "FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?")),
      ack_(db.prepare("DELETE FROM outbox WHERE seq <= ?")),
      last_(db.prepare("SELECT digest, revision, state, message FROM last_status WHERE bundle = ?")),
      put_last_(db.prepare(
          "INSERT OR REPLACE INTO last_status(bundle, digest, revision, state, message) VALUES (?, ?, ?, ?, ?)")),
      forget_(db.prepare("DELETE FROM last_status WHERE bundle = ?")),
      last_bundles_(db.prepare("SELECT bundle FROM last_status ORDER BY bundle")),
      seq_(db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")),
      bump_seq_(db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox' AND seq < ?")),
      insert_seq_(db.prepare("INSERT INTO sqlite_sequence(name, seq) SELECT 'outbox', ? "
                             "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')")) {}

int64_t StatusOutbox::append(const Status& st) {
    Reuse s(insert_);
    s->bind(1, st.bundle).bind_blob(2, st.digest).bind(3, st.revision).bind(4, std::string_view(state_name(st.state)));
    s->bind(5, st.message).bind(6, st.time_unix_ms).bind(7, static_cast<int64_t>(st.resources));
    s->run();
    return db_.last_insert_rowid();
}

std::optional<Status> StatusOutbox::last(const std::string& bundle) {
    Reuse s(last_);
    s->bind(1, bundle);
    if (!s->step()) return std::nullopt;
    Status st;
    st.bundle = bundle;
    st.digest = s->blob(0);
    st.revision = s->text(1);
    st.state = parse_state(s->text(2)).value_or(v1::STATE_UNSPECIFIED);
    st.message = s->text(3);
    return st;
}

std::optional<int64_t> StatusOutbox::append_if_changed(const Status& st) {
    WriteScope scope(db_);
    if (auto prev = last(st.bundle); prev && prev->digest == st.digest && prev->revision == st.revision &&
                                     prev->state == st.state && prev->message == st.message)
        return std::nullopt;
    int64_t seq = append(st);
    {
        Reuse s(put_last_);
        s->bind(1, st.bundle).bind_blob(2, st.digest).bind(3, st.revision);
        s->bind(4, std::string_view(state_name(st.state))).bind(5, st.message).run();
    }
    scope.commit();
    return seq;
}

std::vector<std::string> StatusOutbox::bundles_with_last_status() {
    Reuse s(last_bundles_);
    std::vector<std::string> out;
    while (s->step()) out.push_back(s->text(0));
    return out;
}

void StatusOutbox::forget(const std::string& bundle) {
    Reuse s(forget_);
    s->bind(1, bundle).run();
}

std::vector<Status> StatusOutbox::pending(int64_t after_seq, size_t limit) {
    Reuse s(pending_);
    s->bind(1, after_seq).bind(2, static_cast<int64_t>(limit));
    std::vector<Status> out;
    while (s->step()) {
        Status st;
        st.seq = s->int64(0);
        st.bundle = s->text(1);
        st.digest = s->blob(2);
        st.revision = s->text(3);
        st.state = parse_state(s->text(4)).value_or(v1::STATE_UNSPECIFIED);
        st.message = s->text(5);
        st.time_unix_ms = s->int64(6);
        st.resources = static_cast<uint32_t>(s->int64(7));
        out.push_back(std::move(st));
    }
    return out;
}

void StatusOutbox::ack(int64_t up_to_seq) {
    Reuse s(ack_);
    s->bind(1, up_to_seq).run();
}

int64_t StatusOutbox::last_seq() {
    Reuse s(seq_);
    return s->step() ? s->int64(0) : 0;
}

void StatusOutbox::ensure_seq_above(int64_t floor) {
    floor = std::min(floor, kMaxSeqFloor);
    WriteScope scope(db_);
    {
        Reuse s(insert_seq_);
        s->bind(1, floor).run();
    }
    {
        Reuse s(bump_seq_);
        s->bind(1, floor).bind(2, floor).run();
    }
    scope.commit();
}

}  // namespace drover::cache
