#include "hub/render/dependencies.h"

#include <map>
#include <string>

#include "common/text.h"

namespace drover::render {

namespace {

class CycleFinder {
public:
    CycleFinder(const std::map<std::string, const BundleConfig*>& by_name, Problems& problems)
        : by_name_(by_name), problems_(problems) {}

    void visit(const BundleConfig& b) {
        if (state_[b.name] != State::unvisited) return;
        state_[b.name] = State::on_path;
        path_.push_back(b.name);
        for (auto& dep : b.depends_on) {
            auto target = by_name_.find(dep.bundle);
            if (target == by_name_.end()) continue;  // reported as unknown
            State s = state_[dep.bundle];
            if (s == State::on_path) report_cycle(dep);
            else if (s == State::unvisited) visit(*target->second);
        }
        path_.pop_back();
        state_[b.name] = State::done;
    }

private:
    enum class State { unvisited, on_path, done };

    void report_cycle(const Dependency& closing) {
        std::string cycle;
        bool in = false;
        for (auto& name : path_) {
            if (name == closing.bundle) in = true;
            if (in) cycle += name + " -> ";
        }
        cycle += closing.bundle;
        problems_.add(closing.origin.file, closing.origin.line, closing.origin.describe(cat("dependsOn cycle: ", cycle)));
    }

    const std::map<std::string, const BundleConfig*>& by_name_;
    Problems& problems_;
    std::map<std::string, State> state_;
    std::vector<std::string> path_;
};

}  // namespace

void check_dependencies(const std::vector<BundleConfig>& bundles, Problems& problems) {
    std::map<std::string, const BundleConfig*> by_name;
    for (auto& b : bundles) by_name.emplace(b.name, &b);
    for (auto& b : bundles)
        for (auto& dep : b.depends_on)
            if (!by_name.contains(dep.bundle))
                problems.add(dep.origin.file, dep.origin.line,
                             dep.origin.describe(cat("unknown bundle ", drover::quoted(dep.bundle))));
    // Recursion depth is bounded by the number of bundles (Limits::max_bundles).
    CycleFinder finder(by_name, problems);
    for (auto& [name, b] : by_name) finder.visit(*b);
}

}  // namespace drover::render
