#include "agent/reconcile/apply_order.h"

#include <functional>
#include <queue>
#include <set>

namespace drover::reconcile {

std::vector<std::string> apply_order(const std::map<std::string, std::vector<std::string>>& depends_on) {
    std::map<std::string, size_t> waiting_on;              // bundle -> unmet in-set dependencies
    std::map<std::string, std::vector<std::string>> dependents;
    for (auto& [bundle, deps] : depends_on) {
        std::set<std::string> unique(deps.begin(), deps.end());
        size_t n = 0;
        for (auto& d : unique) {
            if (d == bundle || !depends_on.count(d)) continue;
            dependents[d].push_back(bundle);
            ++n;
        }
        waiting_on[bundle] = n;
    }
    std::priority_queue<std::string, std::vector<std::string>, std::greater<>> ready;
    for (auto& [bundle, n] : waiting_on)
        if (n == 0) ready.push(bundle);
    std::vector<std::string> order;
    std::set<std::string> placed;
    while (!ready.empty()) {
        std::string b = ready.top();
        ready.pop();
        order.push_back(b);
        placed.insert(b);
        for (auto& dep : dependents[b])
            if (--waiting_on[dep] == 0) ready.push(dep);
    }
    for (auto& [bundle, deps] : depends_on)
        if (!placed.count(bundle)) order.push_back(bundle);
    return order;
}

}  // namespace drover::reconcile
