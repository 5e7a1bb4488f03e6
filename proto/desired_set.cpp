#include "proto/desired_set.h"

#include <algorithm>

#include "common/crypto.h"

namespace drover {

static void append_field(std::string& out, std::string_view field) {
    uint32_t n = static_cast<uint32_t>(field.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out += field;
}

std::string desired_set_hash(std::vector<DesiredEntry> entries, std::string_view signing_key_id) {
    std::sort(entries.begin(), entries.end(),
              [](const DesiredEntry& a, const DesiredEntry& b) { return a.bundle < b.bundle; });
    // v2: the signing key joined the hash (v1 had none).
    std::string buf = "drover-desired-set-v2";
    append_field(buf, signing_key_id);
    for (auto& e : entries) {
        append_field(buf, e.bundle);
        append_field(buf, e.revision);
        append_field(buf, e.digest);
    }
    return sha256(buf);
}

}  // namespace drover
