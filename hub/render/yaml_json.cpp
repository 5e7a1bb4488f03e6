#include "hub/render/yaml_json.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <istream>
#include <streambuf>
#include <unordered_map>

#include "common/text.h"

namespace drover::render {

using nlohmann::json;

namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";
constexpr size_t kNodeCost = 16;

bool is_null_word(std::string_view v) { return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL"; }

std::optional<bool> bool_word(std::string_view v) {
    if (v == "true" || v == "True" || v == "TRUE") return true;
    if (v == "false" || v == "False" || v == "FALSE") return false;
    return std::nullopt;
}

bool all_of(std::string_view s, bool (*pred)(char)) {
    if (s.empty()) return false;
    for (char c : s)
        if (!pred(c)) return false;
    return true;
}
bool dec_digit(char c) { return c >= '0' && c <= '9'; }
bool oct_digit(char c) { return c >= '0' && c <= '7'; }
bool hex_digit(char c) { return dec_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// nullopt: not an integer in the core schema; an Error: one, but out of range.
std::optional<Result<json>> core_integer(std::string_view v) {
    auto out_of_range = [&] { return std::optional<Result<json>>(fail(cat("integer ", v, " is out of the 64-bit range"))); };
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'x')) {
        bool hex = v[1] == 'x';
        std::string_view digits = v.substr(2);
        if (!all_of(digits, hex ? hex_digit : oct_digit)) return std::nullopt;
        uint64_t n = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n, hex ? 16 : 8);
        if (ec != std::errc() || p != digits.data() + digits.size()) return out_of_range();
        return Result<json>(json(n));
    }
    bool negative = !v.empty() && v[0] == '-';
    std::string_view digits = (!v.empty() && (v[0] == '-' || v[0] == '+')) ? v.substr(1) : v;
    if (!all_of(digits, dec_digit)) return std::nullopt;
    if (negative) {
        int64_t n = 0;
        std::string text = cat("-", digits);
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc() || p != text.data() + text.size()) return out_of_range();
        return Result<json>(json(n));
    }
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || p != digits.data() + digits.size()) return out_of_range();
    if (n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Result<json>(json(static_cast<int64_t>(n)));
    return Result<json>(json(n));
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool core_float_syntax(std::string_view v) {
    size_t i = 0;
    auto digits = [&] {
        size_t start = i;
        while (i < v.size() && dec_digit(v[i])) ++i;
        return i - start;
    };
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
    if (i < v.size() && v[i] == '.') {
        ++i;
        if (digits() == 0) return false;
    } else {
        if (digits() == 0) return false;
        if (i < v.size() && v[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
        ++i;
        if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
        if (digits() == 0) return false;
    }
    return i == v.size();
}

bool special_float(std::string_view v) {
    std::string_view s = (!v.empty() && (v[0] == '-' || v[0] == '+')) ? v.substr(1) : v;
    return s == ".inf" || s == ".Inf" || s == ".INF" || v == ".nan" || v == ".NaN" || v == ".NAN";
}

std::optional<Result<json>> core_float(std::string_view v) {
    if (special_float(v)) return Result<json>(fail(cat(drover::quoted(v), " has no JSON representation")));
    if (!core_float_syntax(v)) return std::nullopt;
    std::string_view s = (!v.empty() && v[0] == '+') ? v.substr(1) : v;
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d))
        return Result<json>(fail(cat("number ", v, " is out of range")));
    return Result<json>(json(d));
}

class JsonBuilder final : public YAML::EventHandler {
public:
    JsonBuilder(const std::string& file, const ParseOptions& options, Problems& problems, std::vector<SourceDoc>& out)
        : file_(file), options_(options), problems_(problems), out_(out) {}

    void OnDocumentStart(const YAML::Mark& mark) override {
        // yaml-cpp 0.7 reports a stray top-level ',' as an endless series of
        // empty documents that all start at the same place.
        if (mark.pos <= last_start_pos_) throw YAML::ParserException(mark, "unexpected character outside any collection");
        last_start_pos_ = mark.pos;
        stack_.clear();
        anchors_.clear();
        root_.reset();
        failed_ = false;
        cost_ = 0;
        doc_ = SourceDoc{};
        doc_.file = file_;
        doc_.line = mark.line + 1;
    }

    void OnDocumentEnd() override {
        if (!failed_ && root_ && !root_->is_null()) {
            doc_.value = std::move(*root_);
            out_.push_back(std::move(doc_));
        }
        root_.reset();
        anchors_.clear();
    }

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (failed_) return;
        if (expecting_key()) return refuse(mark, "a mapping key must not be null");
        if (!charge(mark, kNodeCost)) return;
        record_line(mark);
        complete(json(nullptr), anchor, kNodeCost);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (failed_) return;
        if (expecting_key()) return refuse(mark, "aliases as mapping keys are not supported");
        auto it = anchors_.find(anchor);
        if (it == anchors_.end()) return refuse(mark, "alias refers to a node that contains it");
        if (!charge(mark, it->second.cost)) return;
        record_line(mark);
        complete(it->second.value, YAML::NullAnchor, it->second.cost);
    }

    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        if (failed_) return;
        if (!valid_utf8(value)) return refuse(mark, "text is not valid UTF-8");
        size_t cost = kNodeCost + value.size();
        if (!charge(mark, cost)) return;
        if (expecting_key()) return take_key(mark, tag, value);
        auto converted = yaml_scalar(tag, value);
        if (!converted) return refuse(mark, converted.error().message);
        record_line(mark);
        complete(std::move(*converted), anchor, cost);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, tag, anchor, json::array(), "seq");
    }
    void OnSequenceEnd() override { close(); }

    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, tag, anchor, json::object(), "map");
    }
    void OnMapEnd() override { close(); }

private:
    struct Frame {
        json value;
        std::string pointer;
        YAML::anchor_t anchor = YAML::NullAnchor;
        size_t cost_at_start = 0;
        bool key_pending = false;  // maps: a key was read, its value is next
        std::string key;
        int key_line = 0;
    };
    struct Anchored {
        json value;
        size_t cost = 0;
    };

    bool expecting_key() const { return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().key_pending; }

    void refuse(const YAML::Mark& mark, const std::string& message) {
        if (!failed_) problems_.add(file_, mark.line + 1, message);
        failed_ = true;
    }

    bool charge(const YAML::Mark& mark, size_t cost) {
        cost_ += cost;
        if (cost_ > options_.max_expanded_bytes) {
            refuse(mark, cat("document is larger than ", options_.max_expanded_bytes,
                             " bytes once aliases are expanded"));
            return false;
        }
        return true;
    }

    void take_key(const YAML::Mark& mark, const std::string& tag, const std::string& key) {
        if (tag != "?" && tag != "!" && tag != std::string(kTagPrefix) + "str")
            return refuse(mark, cat("mapping key ", drover::quoted(key), " has unsupported tag ", drover::quoted(tag)));
        if (tag == "?" && key == "<<") return refuse(mark, "merge keys (<<) are not supported");
        Frame& top = stack_.back();
        if (top.value.contains(key)) return refuse(mark, cat("mapping key ", drover::quoted(key), " appears twice"));
        top.key = key;
        top.key_line = mark.line + 1;
        top.key_pending = true;
    }

    std::string child_pointer() const {
        if (stack_.empty()) return "";
        const Frame& top = stack_.back();
        if (top.value.is_array()) return cat(top.pointer, "/", top.value.size());
        return cat(top.pointer, "/", pointer_token(top.key));
    }

    void record_line(const YAML::Mark& mark) {
        if (stack_.empty()) {
            doc_.line = mark.line + 1;
            return;
        }
        if (stack_.size() > options_.line_depth) return;
        // A mapping value is placed at its key's line: that is where a person
        // looks for "selector:" even when the value starts below it.
        const Frame& top = stack_.back();
        doc_.lines[child_pointer()] = top.value.is_object() ? top.key_line : mark.line + 1;
    }

    void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, json empty, const char* kind) {
        if (failed_) return;
        if (expecting_key()) return refuse(mark, "mapping keys must be scalars");
        if (tag != "?" && tag != "!" && tag != "" && tag != cat(kTagPrefix, kind))
            return refuse(mark, cat("unsupported tag ", drover::quoted(tag)));
        if (stack_.size() >= options_.max_depth)
            return refuse(mark, cat("nested deeper than ", options_.max_depth, " levels"));
        if (!charge(mark, kNodeCost)) return;
        record_line(mark);
        Frame frame;
        frame.pointer = child_pointer();
        frame.value = std::move(empty);
        frame.anchor = anchor;
        frame.cost_at_start = cost_ - kNodeCost;
        stack_.push_back(std::move(frame));
    }

    void close() {
        if (failed_) return;
        Frame frame = std::move(stack_.back());
        stack_.pop_back();
        complete(std::move(frame.value), frame.anchor, cost_ - frame.cost_at_start);
    }

    // A finished node goes into its parent (or becomes the root) and, when
    // anchored, is remembered for later aliases.
    void complete(json value, YAML::anchor_t anchor, size_t cost) {
        if (anchor != YAML::NullAnchor) anchors_[anchor] = Anchored{value, cost};
        if (stack_.empty()) {
            root_ = std::move(value);
            return;
        }
        Frame& top = stack_.back();
        if (top.value.is_array()) {
            top.value.push_back(std::move(value));
        } else {
            top.value[top.key] = std::move(value);
            top.key_pending = false;
        }
    }

    const std::string& file_;
    const ParseOptions& options_;
    Problems& problems_;
    std::vector<SourceDoc>& out_;

    SourceDoc doc_;
    std::vector<Frame> stack_;
    std::unordered_map<YAML::anchor_t, Anchored> anchors_;
    std::optional<json> root_;
    size_t cost_ = 0;
    bool failed_ = false;
    int last_start_pos_ = -1;
};

int line_of_offset(std::string_view text, size_t offset) {
    offset = std::min(offset, text.size());
    int line = 1;
    for (size_t i = 0; i < offset; ++i)
        if (text[i] == '\n') ++line;
    return line;
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax
// error ..." -> "syntax error ..."; the line is reported separately.
std::string json_reason(std::string what) {
    if (auto close = what.find("] "); close != std::string::npos && what.starts_with("[json.exception"))
        what.erase(0, close + 2);
    if (what.starts_with("parse error at line "))
        if (auto colon = what.find(": "); colon != std::string::npos) what.erase(0, colon + 2);
    return what;
}

struct TooDeep {};

// yaml-cpp reads from a std::istream; this one reads the caller's bytes in
// place instead of copying a file of up to Limits::max_file_bytes into an
// istringstream.
class ViewBuffer : public std::streambuf {
public:
    explicit ViewBuffer(std::string_view text) {
        char* begin = const_cast<char*>(text.data());  // only ever read
        setg(begin, begin, begin + text.size());
    }
};

}  // namespace

bool valid_utf8(std::string_view s) {
    size_t i = 0, n = s.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
        else return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

Result<json> yaml_scalar(std::string_view tag, std::string_view value) {
    if (tag == "!") return json(std::string(value));
    if (tag == "?") {
        if (is_null_word(value)) return json(nullptr);
        if (auto b = bool_word(value)) return json(*b);
        if (auto i = core_integer(value)) return *i;
        if (auto f = core_float(value)) return *f;
        return json(std::string(value));
    }
    if (!tag.starts_with(kTagPrefix)) return fail(cat("unsupported tag ", drover::quoted(tag)));
    std::string_view type = tag.substr(kTagPrefix.size());
    if (type == "str") return json(std::string(value));
    if (type == "null") {
        if (is_null_word(value)) return json(nullptr);
    } else if (type == "bool") {
        if (auto b = bool_word(value)) return json(*b);
    } else if (type == "int") {
        if (auto i = core_integer(value)) return *i;
    } else if (type == "float") {
        if (auto i = core_integer(value)) {
            if (!*i) return *i;
            return json(static_cast<double>((*i)->is_number_unsigned() ? (*i)->get<uint64_t>() : (*i)->get<int64_t>()));
        }
        if (auto f = core_float(value)) return *f;
    } else {
        return fail(cat("unsupported tag !!", type));
    }
    return fail(cat(drover::quoted(value), " is not a valid !!", type));
}

std::vector<SourceDoc> parse_yaml_stream(const std::string& file, std::string_view text,
                                         const ParseOptions& options, Problems& problems) {
    std::vector<SourceDoc> docs;
    ViewBuffer buffer(text);
    std::istream in(&buffer);
    JsonBuilder builder(file, options, problems, docs);
    try {
        YAML::Parser parser(in);
        while (parser.HandleNextDocument(builder)) {
        }
    } catch (const YAML::Exception& e) {
        int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
        problems.add(file, line, cat("YAML syntax error: ", e.msg));
    } catch (const std::exception& e) {
        problems.add(file, 0, cat("cannot parse YAML: ", e.what()));
    }
    return docs;
}

std::optional<SourceDoc> parse_json_document(const std::string& file, std::string_view text,
                                             const ParseOptions& options, Problems& problems) {
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return std::nullopt;
    auto guard = [&options](int depth, json::parse_event_t, json&) {
        if (depth > static_cast<int>(options.max_depth)) throw TooDeep{};
        return true;
    };
    SourceDoc doc;
    doc.file = file;
    doc.line = line_of_offset(text, first);
    try {
        doc.value = json::parse(text.begin(), text.end(), guard);
    } catch (const TooDeep&) {
        problems.add(file, doc.line, cat("nested deeper than ", options.max_depth, " levels"));
        return std::nullopt;
    } catch (const json::parse_error& e) {
        problems.add(file, line_of_offset(text, e.byte > 0 ? e.byte - 1 : 0),
                     cat("JSON syntax error: ", json_reason(e.what())));
        return std::nullopt;
    } catch (const std::exception& e) {
        problems.add(file, doc.line, cat("cannot parse JSON: ", json_reason(e.what())));
        return std::nullopt;
    }
    if (doc.value.is_null()) return std::nullopt;
    return doc;
}

}  // namespace drover::render
