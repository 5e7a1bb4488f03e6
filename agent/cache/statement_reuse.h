#pragma once
// Borrow a prepared statement for one execution. The statement is reset on
// entry and on exit, so an early return or an exception never leaves it
// mid-step: a half-stepped SELECT would pin a WAL read snapshot (stale reads,
// no checkpoints) and make the next bind fail silently.
#include "common/sqlite.h"

namespace drover::cache {

class Reuse {
public:
    explicit Reuse(sql::Stmt& stmt) : stmt_(stmt) { stmt_.reset(); }
    ~Reuse() { stmt_.reset(); }
    Reuse(const Reuse&) = delete;
    Reuse& operator=(const Reuse&) = delete;

    sql::Stmt* operator->() { return &stmt_; }
    sql::Stmt& operator*() { return stmt_; }

private:
    sql::Stmt& stmt_;
};

}  // namespace drover::cache
