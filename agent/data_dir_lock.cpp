#include "agent/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/text.h"

namespace drover::agent {

Result<DataDirLock> DataDirLock::acquire(const std::string& data_dir) {
    std::string path = cat(data_dir, "/agent.lock");
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return fail(cat("cannot open ", path, ": ", std::strerror(errno)));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) return fail(cat("another drover-agent is using ", data_dir));
        return fail(cat("cannot lock ", path, ": ", std::strerror(err)));
    }
    return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace drover::agent
