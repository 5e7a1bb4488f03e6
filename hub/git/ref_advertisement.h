#pragma once
// The body of a smart-HTTP ref discovery, GET .../info/refs?service=SVC
// (git gitprotocol-http.txt, gitprotocol-pack.txt): a "# service=SVC"
// packet and a flush, then one packet per ref — the first carrying the
// capabilities after a NUL — and a flush. Served with
// advertisement_content_type(): git falls back to the dumb protocol on any
// other content type.
#include <string>
#include <string_view>
#include <vector>

namespace drover::git {

enum class Service { upload_pack, receive_pack };

struct AdvertisedRef {
    std::string name;     // "HEAD", "refs/heads/main", ...
    std::string oid_hex;  // 40 hex digits
};

const char* service_name(Service service);  // "git-upload-pack", "git-receive-pack"
std::string advertisement_content_type(Service service);
std::string result_content_type(Service service);  // of the POST reply

// HEAD (if among refs) first, then the rest in byte order. Without refs (an
// empty repository) the capabilities travel on a zero-id "capabilities^{}"
// line: the only place receive-pack can put them, and valid for upload-pack.
std::string ref_advertisement(Service service, std::vector<AdvertisedRef> refs, std::string_view capabilities);

}  // namespace drover::git
