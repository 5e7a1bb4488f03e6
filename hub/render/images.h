#pragma once
// Container image rewriting for customizations' `images: {REPO: "ref"}`.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>

namespace drover::render {

// The repository of an image reference: without ":tag" and "@digest".
// "registry:5000/team/app:1.2@sha256:..." -> "registry:5000/team/app".
// No registry or "library/" defaulting: "nginx" and "docker.io/library/nginx"
// are different repositories here.
std::string_view image_repository(std::string_view image);

// Replaces the `image` of every entry of every `containers`,
// `initContainers` and `ephemeralContainers` list anywhere in object (pod
// templates of Deployments, CronJobs' jobTemplate, ...) whose repository is
// a key of rewrites with that key's value. Returns how many were replaced.
size_t rewrite_images(nlohmann::json& object, const std::map<std::string, std::string>& rewrites);

}  // namespace drover::render
