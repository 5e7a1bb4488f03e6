#include "hub/server/request_body.h"

#include <limits>

#include "common/text.h"

namespace drover::hub {

RequestBody::RequestBody(BodySpool spool, bool chunked, bool gzip) : spool_(std::move(spool)) {
    // The chunk framing carries the compressed bytes, which are never more
    // than a small factor above the decoded limit; the spool enforces that.
    if (chunked) chunked_.emplace(std::numeric_limits<uint64_t>::max());
    if (gzip) gunzip_.emplace(spool_.max_bytes(), Inflater::Format::gzip);
}

Result<void> RequestBody::store(std::string_view decoded) {
    if (!gunzip_) return spool_.append(decoded);
    auto ok = gunzip_->feed(decoded, [this](std::string_view out) { return spool_.append(out); });
    if (!ok) return fail(cat("gzip request body: ", ok.error().message));
    return {};
}

Result<void> RequestBody::feed(std::string_view raw) {
    if (failed_) return std::unexpected(*failed_);
    auto ok = decode(raw);
    if (!ok) failed_ = ok.error();
    return ok;
}

Result<void> RequestBody::decode(std::string_view raw) {
    if (!chunked_) return store(raw);
    scratch_.clear();
    if (auto ok = chunked_->feed(raw, scratch_); !ok) return ok;  // names the chunked body itself
    if (chunked_->decoded() > 4 * spool_.max_bytes() + (1 << 20))
        return fail(cat("request body is larger than ", spool_.max_bytes(), " bytes"));
    return store(scratch_);
}

Result<BodySpool> RequestBody::finish() {
    if (failed_) return std::unexpected(*failed_);
    if (chunked_ && !chunked_->done()) return fail("chunked request body ends before its last chunk");
    if (gunzip_) {
        if (auto ok = gunzip_->finish(); !ok) return fail(cat("gzip request body: ", ok.error().message));
    }
    return std::move(spool_);
}

}  // namespace drover::hub
