#include "tools/kube-testserver/label_selector.h"

#include <algorithm>
#include <cctype>

#include "common/labels.h"
#include "common/text.h"

namespace drover::kts {

namespace {

// Splits on commas outside parentheses.
std::vector<std::string_view> split_terms(std::string_view text) {
    std::vector<std::string_view> out;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || (text[i] == ',' && depth == 0)) {
            out.push_back(trim(text.substr(start, i - start)));
            start = i + 1;
        } else if (text[i] == '(') {
            ++depth;
        } else if (text[i] == ')') {
            --depth;
        }
    }
    return out;
}

Result<void> check_key(std::string_view key, std::string_view term) {
    if (key.empty() || !validate_label(key, "")) return fail(cat("invalid label key in selector term ", quoted(term)));
    return {};
}

Result<Requirement> parse_term(std::string_view term) {
    Requirement r;
    if (term.starts_with("!")) {
        r.key = std::string(trim(term.substr(1)));
        r.op = Requirement::Op::not_exists;
        if (auto ok = check_key(r.key, term); !ok) return std::unexpected(ok.error());
        return r;
    }
    size_t paren = term.find('(');
    if (paren != std::string_view::npos) {
        if (term.back() != ')') return fail(cat("unterminated value list in selector term ", quoted(term)));
        std::string_view head = trim(term.substr(0, paren));
        size_t space = head.find_last_of(" \t");
        if (space == std::string_view::npos) return fail(cat("malformed selector term ", quoted(term)));
        std::string_view op = head.substr(space + 1);
        r.key = std::string(trim(head.substr(0, space)));
        if (op == "in")
            r.op = Requirement::Op::in;
        else if (op == "notin")
            r.op = Requirement::Op::not_in;
        else
            return fail(cat("unknown operator ", quoted(op), " in selector term ", quoted(term)));
        if (auto ok = check_key(r.key, term); !ok) return std::unexpected(ok.error());
        for (const auto& v : split(term.substr(paren + 1, term.size() - paren - 2), ','))
            r.values.emplace_back(trim(v));
        if (r.values.empty() || (r.values.size() == 1 && r.values[0].empty()))
            return fail(cat("empty value list in selector term ", quoted(term)));
        return r;
    }
    size_t pos;
    size_t op_len;
    if ((pos = term.find("!=")) != std::string_view::npos) {
        r.op = Requirement::Op::not_equals;
        op_len = 2;
    } else if ((pos = term.find("==")) != std::string_view::npos) {
        op_len = 2;
    } else if ((pos = term.find('=')) != std::string_view::npos) {
        op_len = 1;
    } else {
        r.key = std::string(term);
        r.op = Requirement::Op::exists;
        if (auto ok = check_key(r.key, term); !ok) return std::unexpected(ok.error());
        return r;
    }
    r.key = std::string(trim(term.substr(0, pos)));
    r.values.emplace_back(trim(term.substr(pos + op_len)));
    if (auto ok = check_key(r.key, term); !ok) return std::unexpected(ok.error());
    if (!validate_label(r.key, r.values[0])) return fail(cat("invalid label value in selector term ", quoted(term)));
    return r;
}

std::map<std::string, std::string> labels_of(const json& object) {
    std::map<std::string, std::string> out;
    if (!object.is_object()) return out;
    auto metadata = object.find("metadata");
    if (metadata == object.end() || !metadata->is_object()) return out;
    auto labels = metadata->find("labels");
    if (labels == metadata->end() || !labels->is_object()) return out;
    for (const auto& [k, v] : labels->items())
        if (v.is_string()) out[k] = v.get<std::string>();
    return out;
}

}  // namespace

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
    LabelSelector out;
    if (trim(text).empty()) return out;
    for (auto term : split_terms(text)) {
        if (term.empty()) return fail(cat("empty term in label selector ", quoted(text)));
        auto r = parse_term(term);
        if (!r) return fail(cat("unable to parse requirement: ", r.error().message));
        out.requirements_.push_back(std::move(*r));
    }
    return out;
}

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
    for (const auto& r : requirements_) {
        auto it = labels.find(r.key);
        bool has = it != labels.end();
        auto listed = [&] { return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end(); };
        switch (r.op) {
            case Requirement::Op::equals:
            case Requirement::Op::in:
                if (!listed()) return false;
                break;
            case Requirement::Op::not_equals:
            case Requirement::Op::not_in:
                if (listed()) return false;
                break;
            case Requirement::Op::exists:
                if (!has) return false;
                break;
            case Requirement::Op::not_exists:
                if (has) return false;
                break;
        }
    }
    return true;
}

bool LabelSelector::matches_object(const json& object) const { return matches(labels_of(object)); }

Result<FieldSelector> FieldSelector::parse(std::string_view text) {
    FieldSelector out;
    if (trim(text).empty()) return out;
    for (auto term : split_terms(text)) {
        Term t;
        size_t pos = term.find("!=");
        size_t len = 2;
        if (pos != std::string_view::npos) {
            t.equal = false;
        } else if ((pos = term.find("==")) == std::string_view::npos) {
            pos = term.find('=');
            len = 1;
        }
        if (pos == std::string_view::npos) return fail(cat("invalid field selector term ", quoted(term)));
        t.field = std::string(trim(term.substr(0, pos)));
        t.value = std::string(trim(term.substr(pos + len)));
        if (t.field != "metadata.name" && t.field != "metadata.namespace")
            return fail(cat("field label not supported: ", t.field));
        out.terms_.push_back(std::move(t));
    }
    return out;
}

bool FieldSelector::matches_object(const json& object) const {
    for (const auto& t : terms_) {
        std::string have;
        if (object.contains("metadata")) have = object["metadata"].value(t.field.substr(9), "");
        if ((have == t.value) != t.equal) return false;
    }
    return true;
}

}  // namespace drover::kts
