#include "hub/render/source.h"

#include "common/text.h"

namespace drover::render {

int SourceDoc::line_at(std::string_view pointer) const {
    std::string p(pointer);
    while (true) {
        if (p.empty()) return line;
        if (auto it = lines.find(p); it != lines.end()) return it->second;
        p.resize(p.rfind('/'));
    }
}

std::string pointer_token(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out.push_back(c);
    }
    return out;
}

// Keys that are plain identifiers read as ".key"; anything else (label keys
// with dots or slashes, empty keys) reads as ["key"] so paths stay unambiguous.
static bool identifier(std::string_view k) {
    if (k.empty()) return false;
    for (char c : k)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    return true;
}

const nlohmann::json& Where::value() const {
    return doc_->value.at(nlohmann::json::json_pointer(pointer_));
}

const char* json_type_name(const nlohmann::json& v) {
    using T = nlohmann::json::value_t;
    switch (v.type()) {
        case T::null: return "null";
        case T::object: return "a mapping";
        case T::array: return "a list";
        case T::string: return "a string";
        case T::boolean: return "a boolean";
        case T::number_integer:
        case T::number_unsigned:
        case T::number_float: return "a number";
        default: return "an unsupported value";
    }
}

Where Where::key(std::string_view k) const {
    Where w = *this;
    w.pointer_ += "/" + pointer_token(k);
    if (identifier(k)) w.path_ += path_.empty() ? std::string(k) : cat(".", k);
    else w.path_ += cat("[", drover::quoted(k), "]");
    return w;
}

Where Where::index(size_t i) const {
    Where w = *this;
    w.pointer_ += cat("/", i);
    w.path_ += cat("[", i, "]");
    return w;
}

void report(Problems& problems, const Where& at, std::string_view message) {
    problems.add(at.file(), at.line(), at.describe(message));
}

std::string Where::describe(std::string_view message) const {
    if (path_.empty()) return std::string(message);
    return cat(path_, ": ", message);
}

}  // namespace drover::render
