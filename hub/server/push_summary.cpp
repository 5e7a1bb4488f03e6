#include "hub/server/push_summary.h"

#include "common/text.h"

namespace drover::hub {

namespace {

std::string agents(size_t n) { return cat(n, n == 1 ? " agent" : " agents"); }

const render::Spec* spec_of(const render::Bundle* bundle, const render::Fleet& fleet, const AgentTarget& agent) {
    return bundle ? bundle->spec_for(agent.labels, agent.name, fleet.groups) : nullptr;
}

// How the agents to update get it, when not all at once (rollouts.h).
std::string staging(const render::Bundle& bundle) {
    if (bundle.paused) return " (paused: until droverctl rollout resume)";
    if (!bundle.rollout) return "";
    if (bundle.rollout->canary) return " (rollout: canary first)";
    if (bundle.rollout->batch_size) return cat(" (rollout: batches of ", bundle.rollout->batch_size->text(), ")");
    return " (rollout)";
}

}  // namespace

std::vector<std::string> push_summary(const Deployment* current, const Deployment& next,
                                      const std::vector<AgentTarget>& targets, size_t max_lines) {
    std::vector<std::string> lines;
    size_t unchanged_bundles = 0, dropped = 0;
    auto add = [&](std::string line) {
        if (lines.size() < max_lines) lines.push_back(std::move(line));
        else ++dropped;
    };
    for (auto& bundle : next.fleet.bundles) {
        const render::Bundle* before = current ? current->fleet.find(bundle.name) : nullptr;
        size_t update = 0, unchanged = 0, remove = 0;
        for (auto& agent : targets) {
            const render::Spec* now = spec_of(&bundle, next.fleet, agent);
            const render::Spec* was = spec_of(before, current ? current->fleet : next.fleet, agent);
            if (now && was && now->digest == was->digest) ++unchanged;
            else if (now) ++update;
            else if (was) ++remove;
        }
        if (update == 0 && remove == 0 && before) {
            ++unchanged_bundles;
            continue;
        }
        std::string line = cat(bundle.name, ": ", before ? "" : "new bundle, ", agents(update), " to update",
                               update ? staging(bundle) : "", ", ", unchanged, " unchanged");
        if (remove) line += cat(", ", remove, " no longer targeted");
        add(std::move(line));
    }
    if (current) {
        for (auto& bundle : current->fleet.bundles) {
            if (next.fleet.find(bundle.name)) continue;
            size_t remove = 0;
            for (auto& agent : targets)
                if (spec_of(&bundle, current->fleet, agent)) ++remove;
            add(cat(bundle.name, ": removed, ", agents(remove), " to clean up"));
        }
    }
    if (dropped) lines.push_back(cat("... and ", dropped, dropped == 1 ? " more bundle changed" : " more bundles changed"));
    if (unchanged_bundles)
        lines.push_back(cat(unchanged_bundles, unchanged_bundles == 1 ? " bundle" : " bundles", " unchanged"));
    return lines;
}

}  // namespace drover::hub
