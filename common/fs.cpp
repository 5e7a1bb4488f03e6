#include "common/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/crypto.h"
#include "common/text.h"

namespace drover {

static std::string errno_text() { return std::strerror(errno); }

std::string parent_dir(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
    std::string tmp = cat(path, ".tmp-", hex_encode(random_bytes(6)));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return fail(cat("cannot create ", tmp, ": ", errno_text()));
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::string err = errno_text();
            ::close(fd);
            ::unlink(tmp.c_str());
            return fail(cat("cannot write ", tmp, ": ", err));
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        std::string err = errno_text();
        ::unlink(tmp.c_str());
        return fail(cat("cannot flush ", tmp, ": ", err));
    }
    if (auto ok = rename_durably(tmp, path); !ok) {
        ::unlink(tmp.c_str());
        return ok;
    }
    return {};
}

Result<void> rename_durably(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) return fail(cat("cannot rename ", from, " to ", to, ": ", errno_text()));
    int dfd = ::open(parent_dir(to).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

bool path_exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(cat("cannot open ", path, ": ", errno_text()));
    std::string out;
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::string err = errno_text();
            ::close(fd);
            return fail(cat("cannot read ", path, ": ", err));
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > max_bytes) {
            ::close(fd);
            return fail(cat(path, " is larger than ", max_bytes, " bytes"));
        }
    }
    ::close(fd);
    return out;
}

Result<void> make_dirs(const std::string& path, unsigned mode) {
    if (path.empty()) return {};
    std::string cur;
    for (auto& part : split(path, '/')) {
        cur += part;
        if (!cur.empty() && ::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
            return fail(cat("cannot create directory ", cur, ": ", errno_text()));
        cur += '/';
    }
    return {};
}

}  // namespace drover
