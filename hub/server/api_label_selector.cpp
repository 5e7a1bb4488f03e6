#include "hub/server/api_label_selector.h"

#include "common/text.h"

namespace drover::hub {

namespace {

constexpr size_t kMaxSelector = 4096;

class SelectorReader {
public:
    explicit SelectorReader(std::string_view text) : text_(text) {}

    Result<render::Selector> read() {
        render::Selector out;
        skip_spaces();
        if (done()) return out;
        for (;;) {
            auto r = requirement();
            if (!r) return std::unexpected(r.error());
            out.match_expressions.push_back(std::move(*r));
            skip_spaces();
            if (done()) return out;
            if (!take(",")) return expected("',' or the end");
            skip_spaces();
        }
    }

private:
    using Op = render::Requirement::Op;

    Result<render::Requirement> requirement() {
        bool negated = take("!");
        skip_spaces();
        render::Requirement r;
        r.key = word();
        if (r.key.empty()) return expected("a label key");
        if (auto ok = validate_label(r.key, ""); !ok) return fail(cat("bad label selector: ", ok.error().message));
        skip_spaces();
        if (negated) {
            r.op = Op::DoesNotExist;
            return r;
        }
        if (done() || peek(",")) {
            r.op = Op::Exists;
            return r;
        }
        if (take("!=")) r.op = Op::NotIn;
        else if (take("==") || take("=")) r.op = Op::In;
        else {
            size_t op_at = pos_;
            std::string w = word();
            if (w == "in") r.op = Op::In;
            else if (w == "notin") r.op = Op::NotIn;
            else {
                pos_ = op_at;
                return expected("=, ==, !=, in or notin");
            }
            skip_spaces();
            if (!take("(")) return expected("'('");
            for (;;) {
                skip_spaces();
                auto v = value(r.key);
                if (!v) return std::unexpected(v.error());
                r.values.push_back(std::move(*v));
                skip_spaces();
                if (take(")")) return r;
                if (!take(",")) return expected("',' or ')'");
            }
        }
        skip_spaces();
        auto v = value(r.key);
        if (!v) return std::unexpected(v.error());
        r.values.push_back(std::move(*v));
        return r;
    }

    Result<std::string> value(const std::string& key) {
        std::string v = word();
        if (auto ok = validate_label(key, v); !ok) return fail(cat("bad label selector: ", ok.error().message));
        return v;
    }

    // Key and value characters: everything validate_label may accept.
    std::string word() {
        size_t start = pos_;
        while (!done()) {
            char c = text_[pos_];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || c == '/';
            if (!ok) break;
            ++pos_;
        }
        return std::string(text_.substr(start, pos_ - start));
    }

    bool done() const { return pos_ >= text_.size(); }
    bool peek(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }
    bool take(std::string_view s) {
        if (!peek(s)) return false;
        pos_ += s.size();
        return true;
    }
    void skip_spaces() {
        while (!done() && text_[pos_] == ' ') ++pos_;
    }
    std::unexpected<Error> expected(std::string_view what) const {
        std::string found = done() ? std::string("the end") : drover::quoted(utf8_prefix(text_.substr(pos_), 20));
        return fail(cat("bad label selector at character ", pos_ + 1, ": expected ", what, ", found ", found));
    }

    std::string_view text_;
    size_t pos_ = 0;
};

}  // namespace

Result<render::Selector> parse_label_selector(std::string_view text) {
    if (text.size() > kMaxSelector) return fail("label selector is longer than 4096 bytes");
    return SelectorReader(text).read();
}

}  // namespace drover::hub
