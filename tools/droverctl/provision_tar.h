#pragma once
// A POSIX ustar archive built in memory (gzip it with common/deflate.h): what
// `droverctl provision` writes as an image overlay. Every entry is owned by
// root:root (uid/gid 0) with the mode given, so unpacking as root at / of a
// root filesystem (tar -xzpf overlay.tar.gz -C ROOT) yields the right owners
// whatever user ran droverctl.
//
// Limits: names up to 255 bytes (ustar's 155-byte prefix + 100-byte name,
// split at a '/'), link targets up to 100 bytes, files up to 8 GiB (the
// 11-digit octal size field); anything beyond is refused, not truncated.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::ctl {

class TarArchive {
public:
    // mtime_s: the modification time of every entry (seconds since 1970).
    explicit TarArchive(int64_t mtime_s) : mtime_s_(mtime_s) {}

    // Paths are relative ("etc/drover"), without "." or ".." segments; a
    // directory's name is stored with a trailing '/'.
    Result<void> add_directory(std::string_view path, unsigned mode = 0755);
    Result<void> add_file(std::string_view path, std::string_view data, unsigned mode);
    Result<void> add_symlink(std::string_view path, std::string_view target);

    // The archive, closed with the two zero blocks ustar ends with; its
    // bytes move out (std::move(tar).finish()).
    std::string finish() &&;

private:
    Result<void> add_entry(std::string_view path, char type, unsigned mode, std::string_view data,
                           std::string_view link_target);

    int64_t mtime_s_;
    std::string bytes_;
};

}  // namespace drover::ctl
