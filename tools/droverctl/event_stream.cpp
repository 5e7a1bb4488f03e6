#include "tools/droverctl/event_stream.h"

#include "common/text.h"

namespace drover::ctl {

Result<void> SseParser::feed(std::string_view bytes) {
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (failed_) return std::unexpected(*failed_);
    for (char c : bytes) {
        if (bom_matched_ < kBom.size()) {
            // A leading byte-order mark is dropped, even when it arrives split.
            if (c == kBom[bom_matched_]) {
                ++bom_matched_;
                continue;
            }
            std::string_view held = kBom.substr(0, bom_matched_);
            bom_matched_ = kBom.size();
            for (char h : held)
                if (auto ok = byte(h); !ok) return ok;
        }
        if (auto ok = byte(c); !ok) return ok;
    }
    return {};
}

Result<void> SseParser::byte(char c) {
    if (after_cr_) {
        after_cr_ = false;
        if (c == '\n') return {};
    }
    if (c == '\r' || c == '\n') {
        after_cr_ = c == '\r';
        auto ok = line(partial_);
        partial_.clear();
        if (!ok) failed_ = ok.error();
        return ok;
    }
    if (partial_.size() >= kMaxLine) {
        failed_ = Error{cat("an event stream line is longer than ", kMaxLine >> 10, " KiB")};
        return std::unexpected(*failed_);
    }
    partial_ += c;
    return {};
}

Result<void> SseParser::line(std::string_view text) {
    if (text.empty()) {
        dispatch();
        return {};
    }
    if (text.front() == ':') return {};
    auto colon = text.find(':');
    std::string_view field = text.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "event") {
        event_ = value;
    } else if (field == "data") {
        if (data_.size() + value.size() + 1 > kMaxMessage)
            return fail(cat("an event stream message is larger than ", kMaxMessage >> 20, " MiB"));
        if (has_data_) data_ += '\n';
        data_ += value;
        has_data_ = true;
    } else if (field == "retry") {
        auto ms = parse_u64(value);
        if (ms && *ms <= 24ULL * 3600 * 1000) retry_ms_ = static_cast<int64_t>(*ms);
    }
    // Other fields are ignored, as the format says.
    return {};
}

void SseParser::dispatch() {
    if (has_data_) {
        SseMessage m;
        if (!event_.empty()) m.event = event_;
        m.data = std::move(data_);
        on_message_(m);
    }
    event_.clear();
    data_.clear();
    has_data_ = false;
}

}  // namespace drover::ctl
