#include "hub/render/problem.h"

#include <algorithm>
#include <tuple>

#include "common/text.h"

namespace drover::render {

std::string Problem::to_string() const {
    if (file.empty()) return message;
    if (line <= 0) return cat(file, ": ", message);
    return cat(file, ":", line, ": ", message);
}

void Problems::add(std::string file, int line, std::string message) {
    if (list_.size() >= cap_) {
        ++dropped_;
        return;
    }
    list_.push_back(Problem{std::move(file), line, std::move(message)});
}

std::vector<Problem> Problems::take() {
    std::vector<Problem> out = std::move(list_);
    std::stable_sort(out.begin(), out.end(), [](const Problem& a, const Problem& b) {
        return std::tie(a.file, a.line) < std::tie(b.file, b.line);
    });
    if (dropped_ > 0) out.push_back(Problem{"", 0, cat("... and ", dropped_, " more problems")});
    list_.clear();
    dropped_ = 0;
    return out;
}

}  // namespace drover::render
