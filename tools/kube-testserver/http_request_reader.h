#pragma once
// Turns the bytes of one HTTP/1.1 connection into requests: request line,
// headers, then a body framed by Content-Length or chunked transfer
// encoding. Pure (no socket), so framing is tested byte by byte.
//
// Limits: a head of at most kMaxHeadBytes and a body of at most
// kMaxBodyBytes (the real API server refuses objects above ~3 MiB). Past a
// limit, or on malformed framing, the stream is unusable: next() returns an
// error to answer with before closing.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "tools/kube-testserver/http_message.h"

namespace drover::kts {

constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

struct FramingError {
    int status;  // 400, 413 (body too large) or 431 (head too large)
    std::string message;
};

class HttpRequestReader {
public:
    void feed(std::string_view bytes) { buffer_.append(bytes); }
    // The next complete request, nullopt while more bytes are needed.
    std::expected<std::optional<HttpRequest>, FramingError> next();
    // True once per request whose head asked for "Expect: 100-continue"
    // while its body has not fully arrived: the caller sends
    // "HTTP/1.1 100 Continue" (curl waits a second for it otherwise).
    bool take_continue_request();
    // Bytes buffered but not yet returned as a request.
    size_t buffered() const { return buffer_.size(); }

private:
    std::expected<bool, FramingError> parse_head();
    // Decodes the chunked body from buffer_[head_size_..]: nullopt when
    // incomplete; sets consumed to the bytes of head and body.
    std::expected<std::optional<std::string>, FramingError> chunked_body(size_t& consumed) const;

    std::string buffer_;
    std::optional<HttpRequest> head_;
    size_t head_size_ = 0;
    bool chunked_ = false;
    size_t content_length_ = 0;
    bool continue_pending_ = false;
};

}  // namespace drover::kts
