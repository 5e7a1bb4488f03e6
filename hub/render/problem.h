#pragma once
// A Problem is one thing wrong with a pushed fleet repository, in the form a
// person fixes it from: "web/bundle.yaml:7: targets[0].selector: reason".
#include <string>
#include <vector>

namespace drover::render {

struct Problem {
    std::string file;  // repository-relative path; "" when not about one file
    int line = 0;      // 1-based; 0 = unknown
    std::string message;

    // "file:line: message", "file: message" when the line is unknown,
    // "message" when the file is.
    std::string to_string() const;
};

// Collects problems up to a cap, so that one broken generator cannot make a
// push answer with a million lines. Past the cap further problems are
// counted. take() returns them ordered by file and line (the order found
// within one line kept), ending with one "... and N more problems" line
// when some were dropped.
class Problems {
public:
    static constexpr size_t kDefaultCap = 50;
    explicit Problems(size_t cap = kDefaultCap) : cap_(cap) {}

    void add(std::string file, int line, std::string message);
    bool empty() const { return list_.empty(); }
    size_t size() const { return list_.size() + dropped_; }
    std::vector<Problem> take();

private:
    size_t cap_;
    size_t dropped_ = 0;
    std::vector<Problem> list_;
};

}  // namespace drover::render
