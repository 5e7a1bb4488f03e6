#pragma once
// Server-sent events (the WHATWG "text/event-stream" format) read
// incrementally: bytes go in as the network delivers them, split anywhere
// (inside a line, between "\r" and "\n"), complete messages come out.
//
//   id: 42            ignored: the hub's events carry their id in their data,
//                     which is what droverctl resumes from
//   event: event      the message's type (default "message")
//   data: {...}       one line of data; several are joined with "\n"
//   retry: 2000       the reconnection delay the server asks for
//   : ping            a comment, ignored
//   (blank line)      ends the message; one without data is not dispatched
//
// The hub is trusted to mean well, not to be bounded: a line longer than
// kMaxLine bytes, or a message with more than kMaxMessage bytes of data, is
// an error and the parser stops.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::ctl {

struct SseMessage {
    std::string event = "message";
    std::string data;
};

class SseParser {
public:
    static constexpr size_t kMaxLine = 1 << 20;
    static constexpr size_t kMaxMessage = 4 << 20;
    using Handler = std::function<void(const SseMessage&)>;

    explicit SseParser(Handler on_message) : on_message_(std::move(on_message)) {}

    // Parses bytes, calling the handler for each message they complete.
    // After an error every later call fails too.
    Result<void> feed(std::string_view bytes);

    // The newest "retry:" the server sent, in milliseconds.
    std::optional<int64_t> retry_ms() const { return retry_ms_; }

private:
    Result<void> byte(char c);
    Result<void> line(std::string_view text);
    void dispatch();

    Handler on_message_;
    std::string partial_;          // a line not yet ended
    bool after_cr_ = false;        // the last byte fed was "\r": a "\n" next belongs to it
    size_t bom_matched_ = 0;       // bytes of a leading UTF-8 BOM seen; 3: past it
    std::optional<Error> failed_;
    std::string event_, data_;
    bool has_data_ = false;
    std::optional<int64_t> retry_ms_;
};

}  // namespace drover::ctl
