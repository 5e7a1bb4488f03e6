#pragma once
// One agent per data directory: two agents on one cache would interleave
// sessions and applies. Held as an flock on DATA_DIR/agent.lock for the
// life of the process (released by the kernel even on a crash).
#include <string>

#include "common/error.h"

namespace drover::agent {

class DataDirLock {
public:
    static Result<DataDirLock> acquire(const std::string& data_dir);
    DataDirLock(DataDirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    DataDirLock& operator=(DataDirLock&&) = delete;
    DataDirLock(const DataDirLock&) = delete;
    ~DataDirLock();

private:
    explicit DataDirLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace drover::agent
