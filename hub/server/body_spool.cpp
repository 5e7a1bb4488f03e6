#include "hub/server/body_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/text.h"

namespace drover::hub {

BodySpool BodySpool::in_memory(uint64_t max_bytes) { return BodySpool(-1, max_bytes); }

Result<BodySpool> BodySpool::on_disk(const std::string& dir, uint64_t max_bytes) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        // A filesystem without O_TMPFILE: a named file, unlinked at once.
        std::string pattern = dir + "/.drover-body-XXXXXX";
        fd = ::mkostemp(pattern.data(), O_CLOEXEC);
        if (fd >= 0) ::unlink(pattern.c_str());
    }
    if (fd < 0) return fail(cat("cannot create a temporary file in ", dir, ": ", std::strerror(errno)));
    return BodySpool(fd, max_bytes);
}

BodySpool::BodySpool(BodySpool&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      memory_(std::move(other.memory_)),
      size_(other.size_),
      max_(other.max_),
      failed_(other.failed_) {}

BodySpool& BodySpool::operator=(BodySpool&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        memory_ = std::move(other.memory_);
        size_ = other.size_;
        max_ = other.max_;
        failed_ = other.failed_;
    }
    return *this;
}

BodySpool::~BodySpool() {
    if (fd_ >= 0) ::close(fd_);
}

Result<void> BodySpool::append(std::string_view data) {
    if (failed_) return fail("the request body could not be stored");
    if (data.size() > max_ - size_) {
        failed_ = true;
        return fail(cat("request body is larger than ", max_, " bytes"));
    }
    if (fd_ < 0) {
        memory_.append(data);
    } else {
        while (!data.empty()) {
            ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(size_));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                failed_ = true;
                return fail(cat("cannot store the request body: ", std::strerror(errno)));
            }
            size_ += static_cast<uint64_t>(n);
            data.remove_prefix(static_cast<size_t>(n));
        }
        return {};
    }
    size_ += data.size();
    return {};
}

Result<size_t> BodySpool::read_at(uint64_t offset, char* buf, size_t n) const {
    if (offset >= size_) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    if (fd_ < 0) {
        std::memcpy(buf, memory_.data() + offset, n);
        return n;
    }
    while (true) {
        ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return fail(cat("cannot read the request body back: ", std::strerror(errno)));
        return static_cast<size_t>(got);
    }
}

Result<std::string> BodySpool::head(size_t n) const {
    n = static_cast<size_t>(std::min<uint64_t>(n, size_));
    if (fd_ < 0) return memory_.substr(0, n);
    std::string out(n, '\0');
    size_t have = 0;
    while (have < n) {
        auto got = read_at(have, out.data() + have, n - have);
        if (!got) return std::unexpected(got.error());
        if (*got == 0) break;
        have += *got;
    }
    out.resize(have);
    return out;
}

}  // namespace drover::hub
