#pragma once
// The durable status outbox. Every status the reconciler emits is a row with
// a sequence number; the session sends rows in seq order and deletes them
// when the hub acknowledges (Ack{up_to_seq}). Sequence numbers are never
// reused, even after deletes and restarts (AUTOINCREMENT), so the hub can
// drop duplicates by seq.
//
// The outbox also remembers the last status emitted per bundle, so the
// reconciler can emit only changes (append_if_changed).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite.h"
#include "drover.pb.h"

namespace drover::cache {

struct Status {
    int64_t seq = 0;  // assigned by append
    std::string bundle;
    std::string digest;  // 32 raw bytes, or empty
    std::string revision;
    v1::State state = v1::STATE_UNSPECIFIED;
    std::string message;
    int64_t time_unix_ms = 0;
    uint32_t resources = 0;
};

class StatusOutbox {
public:
    explicit StatusOutbox(sql::Db& db);

    int64_t append(const Status& status);  // -> its seq
    // Appends only when (digest, revision, state, message) differs from the
    // last status appended through this function for the bundle; records it
    // as the new last one in the same transaction (joins the caller's).
    std::optional<int64_t> append_if_changed(const Status& status);
    std::optional<Status> last(const std::string& bundle);  // seq is 0
    std::vector<std::string> bundles_with_last_status();
    void forget(const std::string& bundle);

    // Rows with seq > after_seq, in seq order, at most limit.
    std::vector<Status> pending(int64_t after_seq, size_t limit);
    // Deletes every row with seq <= up_to_seq.
    void ack(int64_t up_to_seq);
    // The next seq handed out will be greater than floor. Used when the hub
    // says it has stored seqs this cache no longer remembers issuing (a
    // restored backup): new statuses must not look like duplicates to it.
    // A floor above kMaxSeqFloor is taken as kMaxSeqFloor: no agent issues
    // that many statuses, so only a broken hub claims more, and raising the
    // seq to SQLite's maximum would make every later append fail (the agent
    // could never queue a status, nor apply, again). Session refuses such a
    // Welcome before it gets here; the clamp keeps the store usable whoever
    // calls.
    void ensure_seq_above(int64_t floor);
    static constexpr int64_t kMaxSeqFloor = int64_t{1} << 62;
    int64_t last_seq();

private:
    sql::Db& db_;
    sql::Stmt insert_, pending_, ack_, last_, put_last_, forget_, last_bundles_, seq_, bump_seq_, insert_seq_;
};

}  // namespace drover::cache
