#pragma once
// zlib-format compression of spec content. Specs are compressed once at the
// hub and sent as-is to every agent (cheaper than permessage-deflate).
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover {

std::string deflate_bytes(std::string_view data);
// gzip format (RFC 1952, as gzip, tar -z and HTTP Content-Encoding read it).
std::string gzip_bytes(std::string_view data);
// Refuses output larger than max_out: a small frame must not inflate into
// gigabytes (zip bomb).
Result<std::string> inflate_bytes(std::string_view data, size_t max_out);

// Streaming inflate of one zlib stream, for content too big to hold twice:
// the compressed bytes go in piece by piece (feed), the output comes out
// through `out` in pieces of at most 64 KiB as it is produced. Output beyond
// max_out in total, bytes after the end of the stream, and corrupt input are
// errors; an error from `out` stops the stream and is returned. Memory:
// zlib's 32 KiB window and one 64 KiB buffer, whatever the content size.
class Inflater {
public:
    using Sink = std::function<Result<void>(std::string_view)>;
    // zlib: spec content. gzip: HTTP request bodies (Content-Encoding: gzip).
    enum class Format { zlib, gzip };

    explicit Inflater(size_t max_out, Format format = Format::zlib);
    ~Inflater();
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    Result<void> feed(std::string_view in, const Sink& out);
    // After the last piece: fails unless the stream ended.
    Result<void> finish() const;
    size_t total_out() const { return total_out_; }

private:
    struct Stream;
    std::unique_ptr<Stream> stream_;
    size_t max_out_;
    size_t total_out_ = 0;
    bool ended_ = false;
    bool failed_ = false;
};

}  // namespace drover
