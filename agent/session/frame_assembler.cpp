#include "agent/session/frame_assembler.h"

#include "common/text.h"

namespace drover::session {

Result<std::optional<std::string>> FrameAssembler::add(std::string_view piece, bool complete) {
    if (piece.size() > max_ - buffer_.size()) {
        size_t total = buffer_.size() + piece.size();
        buffer_.clear();
        return fail(cat("message of more than ", total, " bytes exceeds the limit of ", max_));
    }
    buffer_.append(piece);
    if (!complete) return std::optional<std::string>{};
    std::optional<std::string> out = std::move(buffer_);
    buffer_.clear();
    return out;
}

}  // namespace drover::session
