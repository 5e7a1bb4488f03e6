#pragma once
// Where a Git request body waits, decoded, until its handler runs: in an
// anonymous file (O_TMPFILE, gone when closed, never visible in the
// directory), so the hub's memory does not grow with what clients send.
// in_memory() holds the same contract in a string, for callers that build
// bodies themselves (tests). Written on the
// event loop, then handed whole to a worker thread that reads it.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::hub {

class BodySpool {
public:
    static BodySpool in_memory(uint64_t max_bytes);
    static Result<BodySpool> on_disk(const std::string& dir, uint64_t max_bytes);
    BodySpool(BodySpool&& other) noexcept;
    BodySpool& operator=(BodySpool&& other) noexcept;
    ~BodySpool();

    // Fails beyond max_bytes ("request body is larger than N bytes") or on a
    // write error; the spool stays failed.
    Result<void> append(std::string_view data);
    uint64_t size() const { return size_; }
    uint64_t max_bytes() const { return max_; }
    // Up to n bytes from offset; 0 at the end.
    Result<size_t> read_at(uint64_t offset, char* buf, size_t n) const;
    // The first n bytes (or all of them).
    Result<std::string> head(size_t n) const;

private:
    BodySpool(int fd, uint64_t max) : fd_(fd), max_(max) {}
    int fd_ = -1;  // -1: memory_
    std::string memory_;
    uint64_t size_ = 0;
    uint64_t max_ = 0;
    bool failed_ = false;
};

}  // namespace drover::hub
