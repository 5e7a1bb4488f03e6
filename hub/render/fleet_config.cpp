#include "hub/render/fleet_config.h"

#include "common/text.h"
#include "hub/render/names.h"

namespace drover::render {

FleetConfig parse_fleet_config(const SourceDoc* doc, Problems& problems) {
    FleetConfig fleet;
    if (!doc) return fleet;
    Where root(*doc);
    if (!doc->value.is_object()) {
        report(problems, root, cat("fleet.yaml must be a mapping, got ", json_type_name(doc->value)));
        return fleet;
    }
    for (auto& [k, value] : doc->value.items()) {
        if (k != "groups") {
            report(problems, root.key(k), "unknown field (want groups)");
            continue;
        }
        if (value.is_null()) continue;
        Where g = root.key(k);
        if (!value.is_object()) {
            report(problems, g, cat("must be a mapping of group name: label selector, got ", json_type_name(value)));
            continue;
        }
        for (auto& [name, _] : value.items()) {
            if (!is_dns_label(name)) {
                report(problems, g.key(name), cat("group name ", drover::quoted(name),
                                                  " must be 1-63 characters of a-z, 0-9 and '-', starting and ending alphanumeric"));
                continue;
            }
            fleet.names.insert(name);
            if (auto sel = parse_selector(g.key(name), problems)) fleet.groups.emplace(name, std::move(*sel));
        }
    }
    return fleet;
}

}  // namespace drover::render
