#pragma once
// Kubernetes LabelSelector: matchLabels AND every matchExpression.
// Semantics are Kubernetes' exactly: NotIn and DoesNotExist match when the
// key is absent; an empty selector ({}) matches every agent.
#include <optional>
#include <string>
#include <vector>

#include "common/labels.h"
#include "hub/render/problem.h"
#include "hub/render/source.h"

namespace drover::render {

struct Requirement {
    enum class Op { In, NotIn, Exists, DoesNotExist };
    std::string key;
    Op op = Op::Exists;
    std::vector<std::string> values;  // In/NotIn: at least one; Exists/DoesNotExist: none

    bool matches(const Labels& labels) const;
};

struct Selector {
    Labels match_labels;
    std::vector<Requirement> match_expressions;

    bool matches(const Labels& labels) const;
    bool empty() const { return match_labels.empty() && match_expressions.empty(); }
};

// Reads {matchLabels: {k: v}, matchExpressions: [{key, operator, values}]}.
// Every problem found is added (unknown fields, bad labels, unknown
// operators, values where none belong); nullopt if there was any.
std::optional<Selector> parse_selector(const Where& at, Problems& problems);

// Label values are strings. A YAML value that typed as something else
// (ring: 1, enabled: true) is refused with a hint to quote it.
std::optional<std::string> label_string(const Where& at, Problems& problems);

}  // namespace drover::render
