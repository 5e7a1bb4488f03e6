#include "proto/desired_set.h"

#include <algorithm>

#include "common/crypto.h"

namespace drover {

static void append_field(std::string& out, const std::string& field) {
    uint32_t n = static_cast<uint32_t>(field.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out += field;
}

std::string desired_set_hash(std::vector<DesiredEntry> entries) {
    std::sort(entries.begin(), entries.end(),
              [](const DesiredEntry& a, const DesiredEntry& b) { return a.bundle < b.bundle; });
    std::string buf = "drover-desired-set-v1";
    for (auto& e : entries) {
        append_field(buf, e.bundle);
        append_field(buf, e.revision);
        append_field(buf, e.digest);
    }
    return sha256(buf);
}

}  // namespace drover
