#pragma once
// Reassembles one websocket message from the pieces libwebsockets delivers
// (fragments, and pieces of a frame larger than its rx buffer), enforcing
// drover's frame limit itself: lws 4.1 has none, so without this a hub could
// make the agent buffer without bound.
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::session {

class FrameAssembler {
public:
    explicit FrameAssembler(size_t max_message) : max_(max_message) {}

    // complete: this piece ends the message (final fragment, nothing of the
    // frame remaining). Returns the whole message when complete, nullopt
    // while more is expected, an error when the message grows past the limit.
    Result<std::optional<std::string>> add(std::string_view piece, bool complete);
    void reset() { buffer_.clear(); }
    size_t buffered() const { return buffer_.size(); }

private:
    size_t max_;
    std::string buffer_;
};

}  // namespace drover::session
