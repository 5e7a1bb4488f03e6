#include "hub/render/images.h"

namespace drover::render {

using nlohmann::json;

std::string_view image_repository(std::string_view image) {
    if (auto at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
    auto colon = image.rfind(':');
    auto slash = image.rfind('/');
    // A colon before the last slash is a registry port, not a tag.
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))
        image = image.substr(0, colon);
    return image;
}

static bool container_list(std::string_view key) {
    return key == "containers" || key == "initContainers" || key == "ephemeralContainers";
}

size_t rewrite_images(json& node, const std::map<std::string, std::string>& rewrites) {
    size_t replaced = 0;
    if (node.is_array()) {
        for (auto& item : node) replaced += rewrite_images(item, rewrites);
        return replaced;
    }
    if (!node.is_object()) return 0;
    for (auto& [key, value] : node.items()) {
        if (container_list(key) && value.is_array()) {
            for (auto& container : value) {
                if (!container.is_object()) continue;
                auto image = container.find("image");
                if (image == container.end() || !image->is_string()) continue;
                auto rewrite = rewrites.find(std::string(image_repository(image->get_ref<const std::string&>())));
                if (rewrite == rewrites.end()) continue;
                *image = rewrite->second;
                ++replaced;
            }
        }
        replaced += rewrite_images(value, rewrites);
    }
    return replaced;
}

}  // namespace drover::render
