#pragma once
// Aligned plain-text tables for terminal output, kubectl-style: a header row
// in capitals, columns separated by three spaces, no trailing spaces. Cells
// come from the hub and, through it, from agents: control characters are
// replaced so a cell can never move the cursor or break a row.
#include <string>
#include <string_view>
#include <vector>

namespace drover::ctl {

class Table {
public:
    explicit Table(std::vector<std::string> headers);
    // Missing cells are empty; extra cells are an error in the caller and
    // are dropped.
    void add_row(std::vector<std::string> cells);
    bool empty() const { return rows_.empty(); }
    // Header and rows, each line ending in "\n".
    std::string render() const;

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

// Terminal columns a string takes: UTF-8 code points (no wide-glyph table).
size_t display_width(std::string_view s);
// Tabs and newlines become spaces, other control bytes "?".
std::string printable(std::string_view s);

}  // namespace drover::ctl
