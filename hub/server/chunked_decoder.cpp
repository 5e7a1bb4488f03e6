#include "hub/server/chunked_decoder.h"

#include <algorithm>

#include "common/text.h"

namespace drover::hub {

namespace {

constexpr int kMaxSizeDigits = 15;         // 2^60: far beyond any body limit
constexpr size_t kMaxExtensionBytes = 1024;
constexpr size_t kMaxTrailerBytes = 8192;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Result<void> ChunkedDecoder::fail_with(std::string why) {
    state_ = State::failed;
    return fail(cat("chunked request body: ", why));
}

Result<void> ChunkedDecoder::feed(std::string_view in, std::string& out) {
    size_t i = 0;
    while (i < in.size()) {
        char c = in[i];
        switch (state_) {
            case State::failed: return fail("chunked request body: already failed");
            case State::done: return fail_with("bytes after the last chunk");
            case State::size: {
                int v = hex_value(c);
                if (v >= 0) {
                    if (++size_digits_ > kMaxSizeDigits) return fail_with("chunk size has too many digits");
                    chunk_left_ = chunk_left_ * 16 + static_cast<uint64_t>(v);
                } else if (size_digits_ == 0) {
                    return fail_with(cat("chunk size expected, got byte ", static_cast<int>(static_cast<unsigned char>(c))));
                } else if (c == ';' || c == ' ' || c == '\t') {
                    state_ = State::extension;
                    line_bytes_ = 0;
                } else if (c == '\r') {
                    state_ = State::size_lf;
                } else {
                    return fail_with("chunk size line is malformed");
                }
                ++i;
                break;
            }
            case State::extension:
                if (c == '\r') state_ = State::size_lf;
                else if (++line_bytes_ > kMaxExtensionBytes) return fail_with("chunk extension is too long");
                ++i;
                break;
            case State::size_lf:
                if (c != '\n') return fail_with("chunk size line does not end in CRLF");
                ++i;
                size_digits_ = 0;
                if (chunk_left_ == 0) {
                    state_ = State::trailer_start;
                } else {
                    if (chunk_left_ > max_body_ - total_)
                        return fail_with(cat("body exceeds the limit of ", max_body_, " bytes"));
                    state_ = State::data;
                }
                break;
            case State::data: {
                size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, in.size() - i));
                out.append(in.substr(i, n));
                i += n;
                chunk_left_ -= n;
                total_ += n;
                if (chunk_left_ == 0) state_ = State::data_cr;
                break;
            }
            case State::data_cr:
                if (c != '\r') return fail_with("chunk data is longer than its size");
                state_ = State::data_lf;
                ++i;
                break;
            case State::data_lf:
                if (c != '\n') return fail_with("chunk data does not end in CRLF");
                state_ = State::size;
                ++i;
                break;
            case State::trailer_start:
                if (c == '\r') {
                    state_ = State::final_lf;
                } else {
                    state_ = State::trailer;
                    if (++trailer_bytes_ > kMaxTrailerBytes) return fail_with("trailers are too long");
                }
                ++i;
                break;
            case State::trailer:
                if (c == '\r') state_ = State::trailer_lf;
                else if (++trailer_bytes_ > kMaxTrailerBytes) return fail_with("trailers are too long");
                ++i;
                break;
            case State::trailer_lf:
                if (c != '\n') return fail_with("trailer line does not end in CRLF");
                state_ = State::trailer_start;
                ++i;
                break;
            case State::final_lf:
                if (c != '\n') return fail_with("last chunk does not end in CRLF");
                state_ = State::done;
                ++i;
                break;
        }
    }
    if (state_ == State::failed) return fail("chunked request body: already failed");
    return {};
}

}  // namespace drover::hub
