#include "tools/droverctl/table.h"

#include <algorithm>

namespace drover::ctl {

namespace {
constexpr std::string_view kGap = "   ";
}

size_t display_width(std::string_view s) {
    return static_cast<size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\t' || c == '\n' || c == '\r') out += ' ';
        else if (u < 0x20 || u == 0x7f) out += '?';
        else out += c;
    }
    return out;
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {
    for (auto& h : headers_) h = printable(h);
}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    for (auto& c : cells) c = printable(c);
    rows_.push_back(std::move(cells));
}

std::string Table::render() const {
    std::vector<size_t> width(headers_.size());
    for (size_t i = 0; i < headers_.size(); ++i) width[i] = display_width(headers_[i]);
    for (const auto& row : rows_)
        for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], display_width(row[i]));

    std::string out;
    auto line = [&out, &width](const std::vector<std::string>& cells) {
        std::string text;
        for (size_t i = 0; i < cells.size(); ++i) {
            if (i > 0) text += kGap;
            text += cells[i];
            if (i + 1 < cells.size()) text.append(width[i] - display_width(cells[i]), ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text;
        out += '\n';
    };
    line(headers_);
    for (const auto& row : rows_) line(row);
    return out;
}

}  // namespace drover::ctl
