#include "hub/render/merge_patch.h"

namespace drover::render {

void merge_patch(nlohmann::json& target, const nlohmann::json& patch) {
    if (!patch.is_object()) {
        target = patch;
        return;
    }
    if (!target.is_object()) target = nlohmann::json::object();
    for (auto& [key, value] : patch.items()) {
        if (value.is_null()) target.erase(key);
        else merge_patch(target[key], value);
    }
}

}  // namespace drover::render
