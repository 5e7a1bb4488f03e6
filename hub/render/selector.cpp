#include "hub/render/selector.h"

#include <algorithm>

#include "common/text.h"

namespace drover::render {

using nlohmann::json;

bool Requirement::matches(const Labels& labels) const {
    auto it = labels.find(key);
    bool present = it != labels.end();
    auto listed = [&] { return std::find(values.begin(), values.end(), it->second) != values.end(); };
    switch (op) {
        case Op::In: return present && listed();
        case Op::NotIn: return !present || !listed();
        case Op::Exists: return present;
        case Op::DoesNotExist: return !present;
    }
    return false;
}

bool Selector::matches(const Labels& labels) const {
    for (auto& [k, v] : match_labels) {
        auto it = labels.find(k);
        if (it == labels.end() || it->second != v) return false;
    }
    for (auto& r : match_expressions)
        if (!r.matches(labels)) return false;
    return true;
}

std::optional<std::string> label_string(const Where& at, Problems& problems) {
    const json& v = at.value();
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number() || v.is_boolean())
        report(problems, at, cat("must be a string, got ", json_type_name(v), " ", v.dump(), " (quote it: \"", v.dump(), "\")"));
    else
        report(problems, at, cat("must be a string, got ", json_type_name(v)));
    return std::nullopt;
}

static const char* op_name(Requirement::Op op) {
    switch (op) {
        case Requirement::Op::In: return "In";
        case Requirement::Op::NotIn: return "NotIn";
        case Requirement::Op::Exists: return "Exists";
        case Requirement::Op::DoesNotExist: return "DoesNotExist";
    }
    return "?";
}

static std::optional<Requirement::Op> parse_op(std::string_view s) {
    if (s == "In") return Requirement::Op::In;
    if (s == "NotIn") return Requirement::Op::NotIn;
    if (s == "Exists") return Requirement::Op::Exists;
    if (s == "DoesNotExist") return Requirement::Op::DoesNotExist;
    return std::nullopt;
}

static std::optional<Requirement> parse_requirement(const Where& at, Problems& problems) {
    const json& v = at.value();
    if (!v.is_object()) {
        report(problems, at, cat("must be a mapping {key, operator, values}, got ", json_type_name(v)));
        return std::nullopt;
    }
    size_t before = problems.size();
    for (auto& [k, _] : v.items())
        if (k != "key" && k != "operator" && k != "values")
            report(problems, at.key(k), "unknown field (want key, operator, values)");

    Requirement r;
    if (!v.contains("key")) {
        report(problems, at, "key is required");
    } else if (auto key = label_string(at.key("key"), problems)) {
        r.key = *key;
        if (auto ok = validate_label(r.key, ""); !ok)
            report(problems, at.key("key"), ok.error().message);
    }

    std::optional<Requirement::Op> op;
    if (!v.contains("operator")) {
        report(problems, at, "operator is required (In, NotIn, Exists, DoesNotExist)");
    } else if (auto text = label_string(at.key("operator"), problems)) {
        op = parse_op(*text);
        if (!op)
            report(problems, at.key("operator"),
                   cat("unknown operator ", drover::quoted(*text), " (want In, NotIn, Exists, DoesNotExist)"));
        else r.op = *op;
    }

    if (v.contains("values") && !v.at("values").is_null()) {
        Where vat = at.key("values");
        if (!v.at("values").is_array()) {
            report(problems, vat, cat("must be a list, got ", json_type_name(v.at("values"))));
        } else {
            for (size_t i = 0; i < v.at("values").size(); ++i) {
                if (auto s = label_string(vat.index(i), problems)) {
                    if (auto ok = validate_label(r.key.empty() ? "key" : r.key, *s); !ok)
                        report(problems, vat.index(i), ok.error().message);
                    r.values.push_back(*s);
                }
            }
        }
    }
    if (op) {
        bool set_op = *op == Requirement::Op::In || *op == Requirement::Op::NotIn;
        if (set_op && r.values.empty() && problems.size() == before)
            report(problems, at, cat("operator ", op_name(*op), " needs at least one value"));
        if (!set_op && !r.values.empty())
            report(problems, at.key("values"), cat("operator ", op_name(*op), " takes no values"));
    }
    if (problems.size() != before) return std::nullopt;
    return r;
}

std::optional<Selector> parse_selector(const Where& at, Problems& problems) {
    const json& v = at.value();
    if (!v.is_object()) {
        report(problems, at, cat("must be a label selector mapping ({} matches everything), got ", json_type_name(v)));
        return std::nullopt;
    }
    size_t before = problems.size();
    Selector sel;
    for (auto& [k, value] : v.items()) {
        Where f = at.key(k);
        if (k == "matchLabels") {
            if (value.is_null()) continue;
            if (!value.is_object()) {
                report(problems, f, cat("must be a mapping of labels, got ", json_type_name(value)));
                continue;
            }
            for (auto& [lk, _] : value.items()) {
                auto s = label_string(f.key(lk), problems);
                if (!s) continue;
                if (auto ok = validate_label(lk, *s); !ok)
                    report(problems, f.key(lk), ok.error().message);
                else sel.match_labels[lk] = *s;
            }
        } else if (k == "matchExpressions") {
            if (value.is_null()) continue;
            if (!value.is_array()) {
                report(problems, f, cat("must be a list, got ", json_type_name(value)));
                continue;
            }
            for (size_t i = 0; i < value.size(); ++i)
                if (auto r = parse_requirement(f.index(i), problems)) sel.match_expressions.push_back(std::move(*r));
        } else {
            report(problems, f, "unknown field (want matchLabels, matchExpressions)");
        }
    }
    if (problems.size() != before) return std::nullopt;
    return sel;
}

}  // namespace drover::render
