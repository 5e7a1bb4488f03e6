#pragma once
// A parsed YAML or JSON document together with where its values came from,
// and Where, a cursor into it that knows both the JSON pointer (to look up a
// line) and the path people read in problems ("targets[0].selector").
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <unordered_map>

#include "hub/render/problem.h"

namespace drover::render {

struct SourceDoc {
    std::string file;
    nlohmann::json value;
    int line = 0;  // 1-based line of the document's root node; 0 = unknown
    // JSON pointer ("/targets/0/selector") -> 1-based line, recorded for
    // nodes down to the depth the parser was asked for.
    std::unordered_map<std::string, int> lines;

    // The line of the node at pointer, or of its nearest recorded ancestor.
    int line_at(std::string_view pointer) const;
};

// "a mapping", "a list", "a string", ...: for "must be X, got Y" messages.
const char* json_type_name(const nlohmann::json& v);

// RFC 6901 escaping of one reference token ("~" -> "~0", "/" -> "~1").
std::string pointer_token(std::string_view key);

class Where {
public:
    explicit Where(const SourceDoc& doc) : doc_(&doc) {}

    Where key(std::string_view k) const;
    Where index(size_t i) const;

    const SourceDoc& doc() const { return *doc_; }
    // The node this cursor names; it must exist (cursors are made by walking
    // the document).
    const nlohmann::json& value() const;
    const std::string& file() const { return doc_->file; }
    const std::string& pointer() const { return pointer_; }
    const std::string& path() const { return path_; }  // "" at the root
    int line() const { return doc_->line_at(pointer_); }
    // "path: message", or message alone at the root.
    std::string describe(std::string_view message) const;

private:
    const SourceDoc* doc_;
    std::string pointer_;
    std::string path_;
};

// Adds "file:line: path: message" for the node at.
void report(Problems& problems, const Where& at, std::string_view message);

}  // namespace drover::render
