#include "hub/git/ref_advertisement.h"

#include <algorithm>

#include "common/text.h"
#include "hub/git/pkt_line.h"

namespace drover::git {

const char* service_name(Service service) {
    return service == Service::upload_pack ? "git-upload-pack" : "git-receive-pack";
}

std::string advertisement_content_type(Service service) {
    return cat("application/x-", service_name(service), "-advertisement");
}

std::string result_content_type(Service service) { return cat("application/x-", service_name(service), "-result"); }

std::string ref_advertisement(Service service, std::vector<AdvertisedRef> refs, std::string_view capabilities) {
    std::stable_sort(refs.begin(), refs.end(), [](const AdvertisedRef& a, const AdvertisedRef& b) {
        if ((a.name == "HEAD") != (b.name == "HEAD")) return a.name == "HEAD";
        return a.name < b.name;
    });
    if (refs.empty()) refs.push_back({"capabilities^{}", std::string(40, '0')});
    std::string out = pkt(cat("# service=", service_name(service), "\n"));
    out += kFlushPkt;
    for (size_t i = 0; i < refs.size(); ++i) {
        std::string line = cat(refs[i].oid_hex, " ", refs[i].name);
        if (i == 0) {
            line += '\0';
            line += capabilities;
        }
        out += pkt(line + "\n");
    }
    out += kFlushPkt;
    return out;
}

}  // namespace drover::git
