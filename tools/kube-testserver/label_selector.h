#pragma once
// Label selectors as they appear in ?labelSelector=: "a=b", "a==b", "a!=b",
// "a in (x,y)", "a notin (x)", "a", "!a", joined by commas (AND). Field
// selectors (?fieldSelector=) support metadata.name and metadata.namespace
// with = == and !=, which is what kubectl and client-go send.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace drover::kts {

using json = nlohmann::json;

struct Requirement {
    enum class Op { equals, not_equals, in, not_in, exists, not_exists };
    std::string key;
    Op op = Op::equals;
    std::vector<std::string> values;
};

class LabelSelector {
public:
    static Result<LabelSelector> parse(std::string_view text);
    bool matches(const std::map<std::string, std::string>& labels) const;
    bool matches_object(const json& object) const;
    bool empty() const { return requirements_.empty(); }

private:
    std::vector<Requirement> requirements_;
};

class FieldSelector {
public:
    static Result<FieldSelector> parse(std::string_view text);
    bool matches_object(const json& object) const;

private:
    struct Term {
        std::string field, value;
        bool equal = true;
    };
    std::vector<Term> terms_;
};

}  // namespace drover::kts
