// Cluster's watches: the event log replayed from a resourceVersion, then
// changes as they happen, filtered by selectors (an object leaving a
// selector is DELETED for that watch, one entering it ADDED).
#include "tools/kube-testserver/cluster.h"

#include "common/text.h"
#include "tools/kube-testserver/label_selector.h"

namespace drover::kts {

std::vector<json> Cluster::watch_next(const Target& target, const ListOptions& selectors,
                                      const std::string& resource_version, WatchCursor& cursor,
                                      std::chrono::steady_clock::time_point deadline, bool* ended) {
    *ended = false;
    auto labels = LabelSelector::parse(selectors.label_selector);
    auto fields = FieldSelector::parse(selectors.field_selector);
    if (!labels || !fields) {
        *ended = true;
        std::string message = !labels ? labels.error().message : fields.error().message;
        return {{{"type", "ERROR"}, {"object", status_body(400, "BadRequest", message)}}};
    }
    const ResourceType& type = target.type;
    auto matches = [&](const json& object) {
        return !object.is_null() && labels->matches_object(object) && fields->matches_object(object);
    };
    auto event = [&](const char* kind, const json& object) {
        return json{{"type", kind}, {"object", present(type, object)}};
    };
    std::unique_lock lock(mutex_);
    establish_due();
    std::vector<json> out;
    if (!cursor.started) {
        cursor.started = true;
        if (resource_version.empty() || resource_version == "0") {
            std::optional<std::string> ns;
            if (type.namespaced && !target.ns.empty()) ns = target.ns;
            for (const auto& [key, object] : store_.list(type.group, type.plural, ns))
                if (matches(*object)) out.push_back(event("ADDED", *object));
            cursor.after = store_.version();
            if (!out.empty()) return out;
        } else {
            auto from = parse_u64(resource_version);
            if (!from) {
                *ended = true;
                return {{{"type", "ERROR"},
                         {"object",
                          status_body(400, "BadRequest", cat("invalid resource version ", quoted(resource_version)))}}};
            }
            cursor.after = *from;
        }
    }
    for (;;) {
        if (shutting_down_) {
            *ended = true;
            return {};
        }
        auto events = store_.events_after(cursor.after);
        if (!events) {
            *ended = true;
            return {{{"type", "ERROR"},
                     {"object",
                      status_body(410, "Expired",
                                  cat("too old resource version: ", cursor.after, " (", store_.version(), ")"))}}};
        }
        for (const StoreEvent* e : *events) {
            cursor.after = e->version;
            if (e->key.group != type.group || e->key.resource != type.plural) continue;
            if (type.namespaced && !target.ns.empty() && e->key.ns != target.ns) continue;
            bool now = matches(e->object);
            if (e->type == "MODIFIED") {
                bool before = matches(e->previous);
                if (now && before)
                    out.push_back(event("MODIFIED", e->object));
                else if (now)
                    out.push_back(event("ADDED", e->object));
                else if (before)
                    out.push_back(event("DELETED", e->object));
            } else if (now) {
                out.push_back(event(e->type.c_str(), e->object));
            }
        }
        if (!out.empty()) return out;
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
            *ended = true;
            return {};
        }
    }
}

void Cluster::shutdown() {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    changed_.notify_all();
}

}  // namespace drover::kts
