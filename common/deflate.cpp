#include "common/deflate.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

#include "common/text.h"

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

std::string gzip_bytes(std::string_view data) {
    z_stream z{};
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("zlib deflateInit2 failed");
    std::string out;
    char buf[64 * 1024];
    int rc = Z_OK;
    size_t offset = 0;
    while (rc != Z_STREAM_END) {
        // zlib counts in 32 bits: hand it the input a gigabyte at a time.
        size_t piece = std::min(data.size() - offset, size_t{1} << 30);
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + offset));
        z.avail_in = static_cast<uInt>(piece);
        bool last = offset + piece == data.size();
        do {
            z.next_out = reinterpret_cast<Bytef*>(buf);
            z.avail_out = sizeof buf;
            rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
            out.append(buf, sizeof buf - z.avail_out);
        } while (z.avail_out == 0 || (last && rc == Z_OK));
        if (rc != Z_OK && rc != Z_STREAM_END) {
            deflateEnd(&z);
            throw std::runtime_error(cat("zlib deflate failed (", rc, ")"));
        }
        offset += piece - z.avail_in;
    }
    deflateEnd(&z);
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

struct Inflater::Stream {
    z_stream zs{};
    bool ready = false;
    ~Stream() {
        if (ready) inflateEnd(&zs);
    }
};

Inflater::Inflater(size_t max_out, Format format) : stream_(std::make_unique<Stream>()), max_out_(max_out) {
    stream_->ready = inflateInit2(&stream_->zs, format == Format::gzip ? 16 + MAX_WBITS : MAX_WBITS) == Z_OK;
}

Inflater::~Inflater() = default;

Result<void> Inflater::feed(std::string_view in, const Sink& out) {
    if (!stream_->ready) return fail("zlib: inflateInit failed");
    if (failed_) return fail("compressed content is corrupt");
    if (in.empty()) return {};
    if (ended_) {
        failed_ = true;
        return fail("compressed content has trailing bytes");
    }
    z_stream& zs = stream_->zs;
    char buf[64 * 1024];
    while (!in.empty()) {
        // zlib counts input in uInt: very large pieces go in slices.
        auto slice = static_cast<uInt>(std::min<size_t>(in.size(), 1u << 30));
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        zs.avail_in = slice;
        // Until this slice is consumed and zlib holds no more output for it
        // (a full output buffer may mean more is pending).
        do {
            zs.next_out = reinterpret_cast<Bytef*>(buf);
            zs.avail_out = sizeof buf;
            int rc = inflate(&zs, Z_NO_FLUSH);
            bool stuck = rc == Z_BUF_ERROR;  // no progress possible
            if (rc == Z_STREAM_END) {
                ended_ = true;
            } else if ((rc != Z_OK && !stuck) || (stuck && zs.avail_in > 0)) {
                failed_ = true;
                return fail("compressed content is corrupt");
            }
            size_t produced = sizeof buf - zs.avail_out;
            if (produced > max_out_ - total_out_) {
                failed_ = true;
                return fail(cat("compressed content expands beyond the size limit of ", max_out_, " bytes"));
            }
            total_out_ += produced;
            if (produced > 0) {
                if (auto ok = out(std::string_view(buf, produced)); !ok) {
                    failed_ = true;
                    return ok;
                }
            }
            if (stuck) break;
        } while (!ended_ && (zs.avail_in > 0 || zs.avail_out == 0));
        in.remove_prefix(slice - zs.avail_in);
        if (ended_) break;
    }
    if (ended_ && !in.empty()) {
        failed_ = true;
        return fail("compressed content has trailing bytes");
    }
    return {};
}

Result<void> Inflater::finish() const {
    if (failed_) return fail("compressed content is corrupt");
    if (!ended_) return fail("compressed content is truncated");
    return {};
}

}  // namespace drover
