#include <doctest/doctest.h>

#include "hub/git/ref_advertisement.h"

using namespace drover::git;

namespace {
const std::string kA(40, 'a'), kB(40, 'b');
}

TEST_CASE("ref discovery: the service preamble, HEAD first, the rest in byte order, caps on the first ref") {
    std::string body = ref_advertisement(Service::upload_pack,
                                         {{"refs/heads/main", kA}, {"refs/heads/dev", kB}, {"HEAD", kA}},
                                         "multi_ack_detailed side-band-64k");
    std::string want = std::string("001e# service=git-upload-pack\n") + "0000" +
                       "0053" + kA + " HEAD" + std::string(1, '\0') + "multi_ack_detailed side-band-64k\n" +
                       "003c" + kB + " refs/heads/dev\n" +
                       "003d" + kA + " refs/heads/main\n" + "0000";
    CHECK(body == want);
    CHECK(advertisement_content_type(Service::upload_pack) == "application/x-git-upload-pack-advertisement");
    CHECK(result_content_type(Service::receive_pack) == "application/x-git-receive-pack-result");
}

TEST_CASE("an empty repository advertises its capabilities on the zero-id capabilities^{} line") {
    std::string body = ref_advertisement(Service::receive_pack, {}, "report-status");
    std::string want = std::string("001f# service=git-receive-pack\n") + "0000" + "004b" + std::string(40, '0') +
                       " capabilities^{}" + std::string(1, '\0') + "report-status\n" + "0000";
    CHECK(body == want);
}
