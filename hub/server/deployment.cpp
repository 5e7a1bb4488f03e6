#include "hub/server/deployment.h"

#include "common/deflate.h"
#include "proto/desired_set.h"

namespace drover::hub {

DeploymentResult build_deployment(const std::string& commit, const render::FileMap& files, const SigningKey& key,
                                  const render::Limits& limits) {
    auto fleet = render::render_fleet(files, limits);
    if (!fleet) return std::unexpected(fleet.error());
    auto d = std::make_shared<Deployment>();
    d->commit = commit;
    d->fleet = std::move(*fleet);
    for (auto& bundle : d->fleet.bundles) {
        auto& signed_specs = d->signed_specs.emplace_back();
        for (auto& spec : bundle.specs) {
            SignedSpec s;
            s.digest = spec.digest;
            s.signature = key.sign(spec_signing_message(bundle.name, commit, spec.digest));
            auto& content = d->content_by_digest[spec.digest];
            if (!content) content = std::make_shared<const std::string>(deflate_bytes(spec.json));
            s.compressed = content;
            // Only the compressed form is served: a deployment holding 60 MiB
            // specs would otherwise keep each twice for as long as it runs.
            std::string().swap(spec.json);
            signed_specs.push_back(std::move(s));
        }
    }
    return std::shared_ptr<const Deployment>(std::move(d));
}

namespace {

v1::Deployment entry(const std::string& bundle, const std::string& commit, const SignedSpec& s) {
    v1::Deployment dep;
    dep.set_bundle(bundle);
    dep.set_revision(commit);
    dep.set_digest(s.digest);
    dep.set_signature(s.signature);
    dep.set_size(s.compressed->size());
    return dep;
}

}  // namespace

std::vector<v1::Deployment> Deployment::desired_for(const Labels& labels, const std::string& agent_name) const {
    std::vector<v1::Deployment> out;
    for (size_t i = 0; i < fleet.bundles.size(); ++i) {
        auto& bundle = fleet.bundles[i];
        const render::Spec* spec = bundle.spec_for(labels, agent_name, fleet.groups);
        if (!spec) continue;
        out.push_back(entry(bundle.name, commit, signed_specs[i][static_cast<size_t>(spec - bundle.specs.data())]));
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.bundle() < b.bundle(); });
    return out;
}

std::optional<v1::Deployment> Deployment::entry_for(const std::string& bundle_name, const Labels& labels,
                                                    const std::string& agent_name) const {
    for (size_t i = 0; i < fleet.bundles.size(); ++i) {
        auto& bundle = fleet.bundles[i];
        if (bundle.name != bundle_name) continue;
        const render::Spec* spec = bundle.spec_for(labels, agent_name, fleet.groups);
        if (!spec) return std::nullopt;
        return entry(bundle.name, commit, signed_specs[i][static_cast<size_t>(spec - bundle.specs.data())]);
    }
    return std::nullopt;
}

std::string Deployment::desired_digest(const std::string& bundle_name, const Labels& labels,
                                       const std::string& agent_name) const {
    for (auto& bundle : fleet.bundles) {
        if (bundle.name != bundle_name) continue;
        const render::Spec* spec = bundle.spec_for(labels, agent_name, fleet.groups);
        return spec ? spec->digest : std::string();
    }
    return {};
}

bool gives_agents_the_same(const render::Bundle& a, const render::Bundle& b) {
    if (a.specs.size() != b.specs.size()) return false;
    for (size_t i = 0; i < a.specs.size(); ++i)
        if (a.specs[i].digest != b.specs[i].digest || a.specs[i].customization != b.specs[i].customization) return false;
    return a.depends_on == b.depends_on && a.keep_resources == b.keep_resources && a.self_heal == b.self_heal;
}

std::string desired_hash(const std::vector<v1::Deployment>& desired, std::string_view signing_key_id) {
    std::vector<DesiredEntry> entries;
    entries.reserve(desired.size());
    for (auto& d : desired) entries.push_back({d.bundle(), d.revision(), d.digest()});
    return desired_set_hash(std::move(entries), signing_key_id);
}

}  // namespace drover::hub
