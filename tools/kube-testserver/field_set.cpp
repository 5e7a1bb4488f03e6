#include "tools/kube-testserver/field_set.h"

#include "common/text.h"

namespace drover::kts {

void FieldSet::insert(const FieldPath& path) {
    FieldSet* node = this;
    for (const auto& element : path) node = &node->children_[element];
    node->member_ = true;
}

const FieldSet* FieldSet::find(const FieldPath& path) const {
    const FieldSet* node = this;
    for (const auto& element : path) {
        auto it = node->children_.find(element);
        if (it == node->children_.end()) return nullptr;
        node = &it->second;
    }
    return node;
}

bool FieldSet::contains(const FieldPath& path) const {
    const FieldSet* node = find(path);
    return node != nullptr && node->member_;
}

bool FieldSet::touches(const FieldPath& path) const {
    const FieldSet* node = find(path);
    return node != nullptr && !node->empty();
}

bool FieldSet::has_members_below(const FieldPath& path) const {
    const FieldSet* node = find(path);
    return node != nullptr && !node->children_.empty();
}

FieldSet FieldSet::at(const FieldPath& path) const {
    const FieldSet* node = find(path);
    return node != nullptr ? *node : FieldSet{};
}

void FieldSet::remove_subtree(const FieldPath& path) {
    if (path.empty()) {
        *this = FieldSet{};
        return;
    }
    std::vector<FieldSet*> chain{this};
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        auto it = chain.back()->children_.find(path[i]);
        if (it == chain.back()->children_.end()) return;
        chain.push_back(&it->second);
    }
    chain.back()->children_.erase(path.back());
    for (size_t i = chain.size() - 1; i > 0 && chain[i]->empty(); --i) chain[i - 1]->children_.erase(path[i - 1]);
}

std::vector<std::string> FieldSet::top_elements() const {
    std::vector<std::string> out;
    for (const auto& [element, child] : children_) out.push_back(element);
    return out;
}

void FieldSet::unite(const FieldSet& other) {
    member_ = member_ || other.member_;
    for (const auto& [element, child] : other.children_) children_[element].unite(child);
}

void FieldSet::subtract(const FieldSet& other) {
    if (other.member_) member_ = false;
    for (const auto& [element, child] : other.children_) {
        auto it = children_.find(element);
        if (it == children_.end()) continue;
        it->second.subtract(child);
        if (it->second.empty()) children_.erase(it);
    }
}

FieldSet FieldSet::intersection(const FieldSet& other) const {
    FieldSet out;
    out.member_ = member_ && other.member_;
    for (const auto& [element, child] : children_) {
        auto it = other.children_.find(element);
        if (it == other.children_.end()) continue;
        FieldSet both = child.intersection(it->second);
        if (!both.empty()) out.children_.emplace(element, std::move(both));
    }
    return out;
}

void FieldSet::collect(FieldPath& prefix, std::vector<FieldPath>& out) const {
    if (member_) out.push_back(prefix);
    for (const auto& [element, child] : children_) {
        prefix.push_back(element);
        child.collect(prefix, out);
        prefix.pop_back();
    }
}

std::vector<FieldPath> FieldSet::members() const {
    std::vector<FieldPath> out;
    FieldPath prefix;
    collect(prefix, out);
    return out;
}

json FieldSet::to_fields_v1() const {
    json out = json::object();
    if (member_ && !children_.empty()) out["."] = json::object();
    for (const auto& [element, child] : children_) out[element] = child.to_fields_v1();
    return out;
}

Result<FieldSet> FieldSet::from_fields_v1(const json& fields) {
    if (!fields.is_object()) return fail("fieldsV1 must be an object");
    FieldSet out;
    if (fields.empty()) {
        out.member_ = true;
        return out;
    }
    for (const auto& [key, value] : fields.items()) {
        if (key == ".") {
            if (!value.is_object() || !value.empty()) return fail("fieldsV1: \".\" must map to {}");
            out.member_ = true;
            continue;
        }
        if (key.size() < 2 || key[1] != ':' || std::string_view("fkvi").find(key[0]) == std::string_view::npos)
            return fail(cat("fieldsV1: ", quoted(key), " is not a path element (f:, k:, v: or i:)"));
        if (key[0] == 'k' || key[0] == 'v') {
            auto parsed = json::parse(key.substr(2), nullptr, false);
            if (parsed.is_discarded() || (key[0] == 'k' && !parsed.is_object()))
                return fail(cat("fieldsV1: malformed element ", quoted(key)));
        }
        auto child = from_fields_v1(value);
        if (!child) return std::unexpected(child.error());
        out.children_.emplace(key, std::move(*child));
    }
    return out;
}

std::string field_element(std::string_view name) { return cat("f:", name); }
std::string key_element(const json& keys) { return "k:" + keys.dump(); }
std::string value_element(const json& value) { return "v:" + value.dump(); }

std::string path_string(const FieldPath& path) {
    std::string out;
    for (const auto& element : path) {
        std::string_view rest = std::string_view(element).substr(2);
        switch (element[0]) {
            case 'f': out += cat(".", rest); break;
            case 'i': out += cat("[", rest, "]"); break;
            case 'v': out += cat("[=", rest, "]"); break;
            case 'k': {
                json keys = json::parse(rest, nullptr, false);
                out += "[";
                bool first = true;
                if (keys.is_object())
                    for (const auto& [k, v] : keys.items()) {
                        out += cat(first ? "" : ",", k, "=", v.dump());
                        first = false;
                    }
                out += "]";
                break;
            }
            default: out += element;
        }
    }
    return out;
}

json key_field_default(std::string_view field) {
    if (field == "protocol") return "TCP";
    return nullptr;
}

namespace {

bool item_has_keys(const json& item, const json& keys) {
    if (!item.is_object()) return false;
    for (const auto& [field, want] : keys.items()) {
        auto it = item.find(field);
        const json& have = it != item.end() ? *it : key_field_default(field);
        if (have != want) return false;
    }
    return true;
}

// Index of the list item an element names; -1 when absent.
long find_item(const json& list, const std::string& element) {
    std::string_view rest = std::string_view(element).substr(2);
    if (element[0] == 'i') {
        auto index = parse_u64(rest);
        return index && *index < list.size() ? static_cast<long>(*index) : -1;
    }
    json wanted = json::parse(rest, nullptr, false);
    if (wanted.is_discarded()) return -1;
    for (size_t i = 0; i < list.size(); ++i) {
        if (element[0] == 'v' ? list[i] == wanted : item_has_keys(list[i], wanted)) return static_cast<long>(i);
    }
    return -1;
}

json* step(json& node, const std::string& element) {
    if (element.size() < 2) return nullptr;
    if (element[0] == 'f') {
        if (!node.is_object()) return nullptr;
        auto it = node.find(element.substr(2));
        return it == node.end() ? nullptr : &*it;
    }
    if (!node.is_array()) return nullptr;
    long index = find_item(node, element);
    return index < 0 ? nullptr : &node[static_cast<size_t>(index)];
}

}  // namespace

json* value_at(json& root, const FieldPath& path) {
    json* node = &root;
    for (const auto& element : path) {
        node = step(*node, element);
        if (node == nullptr) return nullptr;
    }
    return node;
}

const json* value_at(const json& root, const FieldPath& path) { return value_at(const_cast<json&>(root), path); }

bool remove_at(json& root, const FieldPath& path) {
    if (path.empty()) return false;
    std::vector<json*> chain{&root};
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        json* next = step(*chain.back(), path[i]);
        if (next == nullptr) return false;
        chain.push_back(next);
    }
    json& parent = *chain.back();
    const std::string& last = path.back();
    if (last[0] == 'f') {
        if (!parent.is_object() || parent.erase(last.substr(2)) == 0) return false;
    } else {
        if (!parent.is_array()) return false;
        long index = find_item(parent, last);
        if (index < 0) return false;
        parent.erase(static_cast<size_t>(index));
    }
    // Drop maps the removal emptied; list items and lists stay.
    for (size_t i = chain.size() - 1; i > 0; --i) {
        json& node = *chain[i];
        if (!node.is_object() || !node.empty() || path[i - 1][0] != 'f') break;
        chain[i - 1]->erase(path[i - 1].substr(2));
    }
    return true;
}

}  // namespace drover::kts
