#include "common/deflate.h"

#include <zlib.h>

#include <stdexcept>

namespace drover {

std::string deflate_bytes(std::string_view data) {
    uLongf bound = compressBound(static_cast<uLong>(data.size()));
    std::string out(bound, '\0');
    int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &bound, reinterpret_cast<const Bytef*>(data.data()),
                       static_cast<uLong>(data.size()), Z_BEST_COMPRESSION);
    if (rc != Z_OK) throw std::runtime_error("zlib compress2 failed");
    out.resize(bound);
    return out;
}

Result<std::string> inflate_bytes(std::string_view data, size_t max_out) {
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) return fail("zlib: inflateInit failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buf[64 * 1024];
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) break;
        out.append(buf, sizeof buf - zs.avail_out);
        if (out.size() > max_out) {
            inflateEnd(&zs);
            return fail("compressed content expands beyond the size limit");
        }
    }
    bool trailing = zs.avail_in != 0;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) return fail("compressed content is corrupt or truncated");
    if (trailing) return fail("compressed content has trailing bytes");
    return out;
}

}  // namespace drover
