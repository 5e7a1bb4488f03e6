#pragma once
// A Deployment is one rendered, signed and compressed Git revision: what the
// hub serves until the next good commit replaces it. Immutable once built and
// shared (shared_ptr<const>) between the event loop and sessions streaming
// content from it, so swapping in a new revision never copies specs.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/labels.h"
#include "drover.pb.h"
#include "hub/render/render.h"
#include "proto/spec_signature.h"

namespace drover::hub {

struct SignedSpec {
    std::string digest;     // 32 raw bytes
    std::string signature;  // over spec_signing_message(bundle, commit, digest)
    std::shared_ptr<const std::string> compressed;
};

struct Deployment {
    std::string commit;  // hex
    render::Fleet fleet;
    // signed_specs[i][j] belongs to fleet.bundles[i].specs[j].
    std::vector<std::vector<SignedSpec>> signed_specs;
    std::map<std::string, std::shared_ptr<const std::string>> content_by_digest;

    // What one agent should run, sorted by bundle name.
    std::vector<v1::Deployment> desired_for(const Labels& labels, const std::string& agent_name) const;
    // One bundle's entry of that list; nullopt when it does not target the agent.
    std::optional<v1::Deployment> entry_for(const std::string& bundle, const Labels& labels,
                                            const std::string& agent_name) const;
    // The spec digest an agent should run for a bundle; "" when not targeted.
    std::string desired_digest(const std::string& bundle, const Labels& labels, const std::string& agent_name) const;
};

// Whether two renders of a bundle give every agent the same thing: specs,
// dependencies and options (not hub-side settings such as its rollout).
bool gives_agents_the_same(const render::Bundle& a, const render::Bundle& b);

using DeploymentResult = std::expected<std::shared_ptr<const Deployment>, std::vector<render::Problem>>;

// Render every bundle at commit within limits, sign each spec and compress it once. The
// specs' JSON is released once compressed (fleet.bundles[].specs[].json is
// empty in a Deployment); content_by_digest holds what agents download.
DeploymentResult build_deployment(const std::string& commit, const render::FileMap& files, const SigningKey& key,
                                  const render::Limits& limits = {});

// The desired-set hash (proto/desired_set.h) of an agent's list, signed by
// the key whose fingerprint is signing_key_id (Fleet::signing_key_id()).
std::string desired_hash(const std::vector<v1::Deployment>& desired, std::string_view signing_key_id);

}  // namespace drover::hub
