#pragma once
// One request body as libwebsockets hands it over, decoded into a spool:
// Transfer-Encoding: chunked undone (lws 4.1 passes the chunk framing
// through), then Content-Encoding: gzip inflated (git gzips fetch requests
// over 1 KiB). Untrusted: framing errors, corrupt gzip and a decoded size
// beyond the spool's limit are errors naming the problem.
#include <optional>
#include <string_view>

#include "common/deflate.h"
#include "common/error.h"
#include "hub/server/body_spool.h"
#include "hub/server/chunked_decoder.h"

namespace drover::hub {

class RequestBody {
public:
    RequestBody(BodySpool spool, bool chunked, bool gzip);

    // After an error every later feed and finish() fails with it: a body
    // refused in part is never handed on as a (truncated) body.
    Result<void> feed(std::string_view raw);
    // Chunked bodies know their own end; others end when the server's
    // Content-Length count does.
    bool chunked() const { return chunked_.has_value(); }
    bool ended() const { return chunked_ && chunked_->done(); }
    // The decoded body. Fails if a chunked body or a gzip stream was cut short.
    Result<BodySpool> finish();

private:
    Result<void> store(std::string_view decoded);
    Result<void> decode(std::string_view raw);

    BodySpool spool_;
    std::optional<ChunkedDecoder> chunked_;
    std::optional<Inflater> gunzip_;
    std::string scratch_;
    std::optional<Error> failed_;
};

}  // namespace drover::hub
