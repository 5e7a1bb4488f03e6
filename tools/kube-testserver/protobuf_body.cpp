#include "tools/kube-testserver/protobuf_body.h"

#include <cstdint>
#include <optional>

#include "common/text.h"
#include "tools/kube-testserver/base64.h"

namespace drover::kts {

namespace {

// One protobuf field: its number and, for length-delimited fields, bytes.
struct Field {
    uint32_t number = 0;
    int wire_type = 0;
    uint64_t varint = 0;
    std::string_view bytes;
};

class WireReader {
public:
    explicit WireReader(std::string_view data) : data_(data) {}
    bool done() const { return data_.empty(); }
    // False on malformed input.
    bool next(Field& field) {
        auto key = varint();
        if (!key || *key >> 3 == 0 || *key >> 3 > 0x1fffffff) return false;
        field.number = static_cast<uint32_t>(*key >> 3);
        field.wire_type = static_cast<int>(*key & 7);
        field.bytes = {};
        switch (field.wire_type) {
            case 0: {
                auto v = varint();
                if (!v) return false;
                field.varint = *v;
                return true;
            }
            case 1: return skip(8);
            case 5: return skip(4);
            case 2: {
                auto len = varint();
                if (!len || *len > data_.size()) return false;
                field.bytes = data_.substr(0, static_cast<size_t>(*len));
                data_.remove_prefix(static_cast<size_t>(*len));
                return true;
            }
            default: return false;  // groups are not used by Kubernetes
        }
    }

private:
    std::optional<uint64_t> varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (data_.empty()) return std::nullopt;
            auto byte = static_cast<unsigned char>(data_.front());
            data_.remove_prefix(1);
            v |= static_cast<uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0) return v;
        }
        return std::nullopt;
    }
    bool skip(size_t n) {
        if (data_.size() < n) return false;
        data_.remove_prefix(n);
        return true;
    }
    std::string_view data_;
};

// Calls on_field for each field; an error for malformed bytes.
template <class F>
Result<void> each_field(std::string_view data, std::string_view what, F&& on_field) {
    WireReader reader(data);
    Field field;
    while (!reader.done()) {
        if (!reader.next(field)) return fail(cat("malformed protobuf in ", what));
        if (auto ok = on_field(field); !ok) return ok;
    }
    return {};
}

Result<std::pair<std::string, std::string>> map_entry(std::string_view entry) {
    std::pair<std::string, std::string> kv;
    auto ok = each_field(entry, "a map entry", [&](const Field& f) -> Result<void> {
        if (f.wire_type == 2 && f.number == 1) kv.first = std::string(f.bytes);
        if (f.wire_type == 2 && f.number == 2) kv.second = std::string(f.bytes);
        return {};
    });
    if (!ok) return std::unexpected(ok.error());
    return kv;
}

// ObjectMeta: the fields a client sets on create.
Result<json> object_meta(std::string_view data) {
    json meta = json::object();
    auto ok = each_field(data, "metadata", [&](const Field& f) -> Result<void> {
        if (f.wire_type != 2) return {};
        std::string text(f.bytes);
        switch (f.number) {
            case 1:
                if (!text.empty()) meta["name"] = text;
                break;
            case 2:
                if (!text.empty()) meta["generateName"] = text;
                break;
            case 3:
                if (!text.empty()) meta["namespace"] = text;
                break;
            case 6:
                if (!text.empty()) meta["resourceVersion"] = text;
                break;
            case 11:
            case 12: {
                auto kv = map_entry(f.bytes);
                if (!kv) return std::unexpected(kv.error());
                meta[f.number == 11 ? "labels" : "annotations"][kv->first] = kv->second;
                break;
            }
            case 14: meta["finalizers"].push_back(text); break;
            default: break;  // server-set or rarely sent: ignored
        }
        return {};
    });
    if (!ok) return std::unexpected(ok.error());
    return meta;
}

Result<json> decode_object(std::string_view kind, std::string_view raw) {
    json object = json::object();
    auto ok = each_field(raw, kind, [&](const Field& f) -> Result<void> {
        if (f.number == 1 && f.wire_type == 2) {
            auto meta = object_meta(f.bytes);
            if (!meta) return std::unexpected(meta.error());
            object["metadata"] = std::move(*meta);
            return {};
        }
        if (kind == "Namespace" && f.number == 2 && f.wire_type == 2) {
            return each_field(f.bytes, "spec", [&](const Field& s) -> Result<void> {
                if (s.number == 1 && s.wire_type == 2) object["spec"]["finalizers"].push_back(std::string(s.bytes));
                return {};
            });
        }
        bool config_map = kind == "ConfigMap", secret = kind == "Secret";
        if ((config_map || secret) && (f.number == 2 || f.number == 3 || f.number == 4) && f.wire_type == 2) {
            if (secret && f.number == 3) {
                object["type"] = std::string(f.bytes);
                return {};
            }
            auto kv = map_entry(f.bytes);
            if (!kv) return std::unexpected(kv.error());
            if (config_map && f.number == 2)
                object["data"][kv->first] = kv->second;
            else if (config_map)
                object["binaryData"][kv->first] = base64_encode(kv->second);
            else if (f.number == 2)
                object["data"][kv->first] = base64_encode(kv->second);
            else
                object["stringData"][kv->first] = kv->second;
            return {};
        }
        if ((config_map && f.number == 4) || (secret && f.number == 5)) {
            if (f.wire_type == 0) object["immutable"] = f.varint != 0;
            return {};
        }
        if (kind == "ServiceAccount") {
            if (f.number == 3 && f.wire_type == 2) {
                json ref = json::object();
                auto inner = each_field(f.bytes, "imagePullSecrets", [&](const Field& r) -> Result<void> {
                    if (r.number == 1 && r.wire_type == 2) ref["name"] = std::string(r.bytes);
                    return {};
                });
                if (!inner) return inner;
                object["imagePullSecrets"].push_back(ref);
            } else if (f.number == 4 && f.wire_type == 0) {
                object["automountServiceAccountToken"] = f.varint != 0;
            }
        }
        return {};
    });
    if (!ok) return std::unexpected(ok.error());
    return object;
}

}  // namespace

Result<json> decode_kubernetes_protobuf(std::string_view body) {
    constexpr std::string_view magic("k8s\0", 4);
    if (!body.starts_with(magic)) return fail("protobuf body does not start with the Kubernetes magic \"k8s\\0\"");
    std::string api_version, kind;
    std::string_view raw;
    auto ok = each_field(body.substr(magic.size()), "the envelope", [&](const Field& f) -> Result<void> {
        if (f.wire_type != 2) return {};
        if (f.number == 2) raw = f.bytes;
        if (f.number == 1)
            return each_field(f.bytes, "typeMeta", [&](const Field& t) -> Result<void> {
                if (t.wire_type == 2 && t.number == 1) api_version = std::string(t.bytes);
                if (t.wire_type == 2 && t.number == 2) kind = std::string(t.bytes);
                return {};
            });
        if (f.number == 3 && !f.bytes.empty()) return fail("compressed protobuf bodies are not supported");
        return {};
    });
    if (!ok) return std::unexpected(ok.error());
    if (api_version != "v1" ||
        (kind != "Namespace" && kind != "ConfigMap" && kind != "Secret" && kind != "ServiceAccount"))
        return fail(
            cat("kube-testserver decodes protobuf only for v1 Namespace, ConfigMap, Secret and "
                "ServiceAccount, not ",
                api_version, " ", kind, "; send JSON"));
    auto object = decode_object(kind, raw);
    if (!object) return object;
    (*object)["apiVersion"] = api_version;
    (*object)["kind"] = kind;
    return object;
}

}  // namespace drover::kts
