#pragma once
// Transfer-Encoding: chunked (RFC 9112 §7.1) request bodies, decoded as the
// bytes arrive. libwebsockets 4.1 hands the raw chunk framing to
// LWS_CALLBACK_HTTP_BODY, and git sends large pushes chunked.
//
// The body is untrusted: a chunk-size line, extensions and trailers are
// bounded, the decoded total is capped at max_body, and the first malformed
// byte ends decoding with an error naming it.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::hub {

class ChunkedDecoder {
public:
    explicit ChunkedDecoder(uint64_t max_body) : max_body_(max_body) {}

    // Decodes `in`, appending chunk data to `out`. After an error the
    // decoder stays failed.
    Result<void> feed(std::string_view in, std::string& out);
    // The last chunk and the trailers have been read.
    bool done() const { return state_ == State::done; }
    uint64_t decoded() const { return total_; }

private:
    enum class State { size, extension, size_lf, data, data_cr, data_lf, trailer_start, trailer, trailer_lf, final_lf,
                       done, failed };
    Result<void> fail_with(std::string why);

    uint64_t max_body_;
    State state_ = State::size;
    uint64_t chunk_left_ = 0;
    int size_digits_ = 0;
    size_t line_bytes_ = 0;     // of the current extension or trailer line
    size_t trailer_bytes_ = 0;  // all trailers
    uint64_t total_ = 0;
};

}  // namespace drover::hub
