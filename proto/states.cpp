#include "proto/states.h"

namespace drover {

namespace {
struct Name {
    v1::State state;
    const char* name;
};
constexpr Name kNames[] = {
    {v1::PENDING, "Pending"},   {v1::APPLYING, "Applying"},
    {v1::READY, "Ready"},       {v1::NOT_READY, "NotReady"},
    {v1::MODIFIED, "Modified"}, {v1::FAILED, "Failed"},
    {v1::WAITING_FOR_DEPENDENCY, "WaitingForDependency"},
    {v1::REMOVED, "Removed"},
};
}  // namespace

const char* state_name(v1::State state) {
    for (auto& n : kNames)
        if (n.state == state) return n.name;
    return "Unknown";
}

std::optional<v1::State> parse_state(std::string_view name) {
    for (auto& n : kNames)
        if (name == n.name) return n.state;
    return std::nullopt;
}

}  // namespace drover
