#include "tools/droverctl/provision_tar.h"


#include <array>
#include <cstring>
#include <utility>

#include "common/text.h"

namespace drover::ctl {

namespace {

constexpr size_t kBlock = 512;

// The ustar header, field by field (POSIX.1-1988 as extended by pax).
struct Header {
    char name[100];
    char mode[8];
    char uid[8];
    char gid[8];
    char size[12];
    char mtime[12];
    char checksum[8];
    char type;
    char link_name[100];
    char magic[6];
    char version[2];
    char user_name[32];
    char group_name[32];
    char dev_major[8];
    char dev_minor[8];
    char prefix[155];
    char padding[12];
};
static_assert(sizeof(Header) == kBlock);

// value as zero-padded octal filling width-1 digits and a NUL; false when
// it does not fit.
bool put_octal(char* field, size_t width, uint64_t value) {
    for (size_t i = width - 1; i-- > 0;) {
        field[i] = static_cast<char>('0' + (value & 7));
        value >>= 3;
    }
    field[width - 1] = '\0';
    return value == 0;
}

Result<void> check_path(std::string_view path) {
    if (path.empty()) return fail("tar entry with an empty name");
    if (path.front() == '/') return fail(cat("tar entry ", quoted(path), ": absolute paths are not allowed"));
    for (const std::string& segment : split(path, '/')) {
        if (segment.empty() || segment == "." || segment == "..")
            return fail(cat("tar entry ", quoted(path), ": empty, \".\" and \"..\" segments are not allowed"));
    }
    return {};
}

// Stores name in the name field, or splits it at a '/' into prefix and name.
Result<void> put_name(Header& h, const std::string& name) {
    if (name.size() <= sizeof h.name) {
        std::memcpy(h.name, name.data(), name.size());
        return {};
    }
    // The prefix gets everything up to a '/', the name field the rest.
    for (size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1)) {
        size_t rest = name.size() - slash - 1;
        if (slash <= sizeof h.prefix && rest <= sizeof h.name && rest > 0) {
            std::memcpy(h.prefix, name.data(), slash);
            std::memcpy(h.name, name.data() + slash + 1, rest);
            return {};
        }
    }
    return fail(cat("tar entry ", quoted(name), ": the name is too long for ustar"));
}

}  // namespace

Result<void> TarArchive::add_directory(std::string_view path, unsigned mode) {
    return add_entry(path, '5', mode, {}, {});
}

Result<void> TarArchive::add_file(std::string_view path, std::string_view data, unsigned mode) {
    return add_entry(path, '0', mode, data, {});
}

Result<void> TarArchive::add_symlink(std::string_view path, std::string_view target) {
    if (target.empty()) return fail(cat("tar symlink ", quoted(path), " has no target"));
    return add_entry(path, '2', 0777, {}, target);
}

Result<void> TarArchive::add_entry(std::string_view path, char type, unsigned mode, std::string_view data,
                                   std::string_view link_target) {
    if (auto ok = check_path(path); !ok) return ok;
    if (mode > 07777) return fail(cat("tar entry ", quoted(path), ": mode ", mode, " is not a permission mode"));
    Header h{};
    std::string name(path);
    if (type == '5') name += '/';
    if (auto ok = put_name(h, name); !ok) return ok;
    if (link_target.size() > sizeof h.link_name)
        return fail(cat("tar symlink ", quoted(path), ": the target is longer than 100 bytes"));
    link_target.copy(h.link_name, link_target.size());  // memcpy from an empty view's null pointer is UB
    put_octal(h.mode, sizeof h.mode, mode);
    put_octal(h.uid, sizeof h.uid, 0);
    put_octal(h.gid, sizeof h.gid, 0);
    if (!put_octal(h.size, sizeof h.size, data.size()))
        return fail(cat("tar entry ", quoted(path), ": larger than ustar's 8 GiB"));
    put_octal(h.mtime, sizeof h.mtime, static_cast<uint64_t>(mtime_s_ < 0 ? 0 : mtime_s_));
    h.type = type;
    std::memcpy(h.magic, "ustar", 6);  // with its NUL
    std::memcpy(h.version, "00", 2);
    std::memcpy(h.user_name, "root", 4);
    std::memcpy(h.group_name, "root", 4);
    put_octal(h.dev_major, sizeof h.dev_major, 0);
    put_octal(h.dev_minor, sizeof h.dev_minor, 0);
    // The checksum is the byte sum of the header with the checksum field as
    // eight spaces; stored as six octal digits, a NUL and a space.
    std::memset(h.checksum, ' ', sizeof h.checksum);
    unsigned sum = 0;
    for (unsigned char c : std::string_view(reinterpret_cast<const char*>(&h), sizeof h)) sum += c;
    put_octal(h.checksum, 7, sum);
    h.checksum[7] = ' ';

    bytes_.append(reinterpret_cast<const char*>(&h), sizeof h);
    bytes_.append(data);
    bytes_.append((kBlock - data.size() % kBlock) % kBlock, '\0');
    return {};
}

std::string TarArchive::finish() && {
    bytes_.append(2 * kBlock, '\0');
    return std::move(bytes_);
}

}  // namespace drover::ctl
