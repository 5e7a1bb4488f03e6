#include "hub/git/receive_pack.h"

#include <doctest/doctest.h>

#include "common/text.h"
#include "hub/git/pkt_line.h"

using namespace drover;
using namespace drover::git;

namespace {

const std::string kA = "1111111111111111111111111111111111111111";
const std::string kB = "2222222222222222222222222222222222222222";
const std::string kZero(40, '0');
const std::string kPack = "PACK\0\0\0\2\0\0\0\0";

std::string command(const std::string& old_id, const std::string& new_id, const std::string& ref,
                    const std::string& caps = "") {
    return pkt(caps.empty() ? cat(old_id, " ", new_id, " ", ref, "\n") : cat(old_id, " ", new_id, " ", ref, std::string(1, '\0'), caps, "\n"));
}

Result<PushRequest> parse(const std::string& body) { return parse_push_request(body, body.size()); }

std::string error_of(const std::string& body) {
    auto r = parse(body);
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
}

}  // namespace

TEST_CASE("a push request as git 2.39 sends it: commands with capabilities, flush, pack") {
    std::string body = command(kA, kB, "refs/heads/main", "report-status side-band-64k quiet object-format=sha1 agent=git/2.39.5") +
                       command(kZero, kA, "refs/heads/feature") + std::string(kFlushPkt) + kPack;
    auto r = parse(body);
    REQUIRE(r.has_value());
    REQUIRE(r->commands.size() == 2);
    CHECK(r->commands[0].ref == "refs/heads/main");
    CHECK(r->commands[1].creates());
    CHECK(r->report_status);
    CHECK(r->side_band_64k);
    CHECK(r->quiet);
    CHECK_FALSE(r->probe);
    CHECK(body.substr(r->pack_offset) == kPack);
}

TEST_CASE("git's probe before a large push is a flush alone") {
    auto r = parse("0000");
    REQUIRE(r.has_value());
    CHECK(r->probe);
}

TEST_CASE("a push of deletes only carries no pack") {
    auto r = parse(command(kA, kZero, "refs/heads/old", "report-status") + "0000");
    REQUIRE(r.has_value());
    CHECK(r->commands[0].deletes());
    CHECK_FALSE(r->has_pack());
    CHECK(error_of(command(kA, kZero, "refs/heads/old") + "0000" + kPack) == "push request deletes refs only but carries a pack");
}

TEST_CASE("malformed push requests are refused with a reason") {
    CHECK(error_of("") == "push request ends inside its command list (no flush packet)");
    CHECK(error_of("00") == "push request ends inside its command list (no flush packet)");
    CHECK(error_of(command(kA, kB, "refs/heads/main")) == "push request ends inside its command list (no flush packet)");
    CHECK(error_of("zzzz") == "push request: pkt-line length \"zzzz\" is not hexadecimal");
    CHECK(error_of(pkt("hello\n") + "0000") == "push request: push command \"hello\" is not \"<old-id> <new-id> <ref>\"");
    CHECK(error_of(command("x" + kA.substr(1), kB, "refs/heads/main") + "0000" + kPack) ==
          "push request: old object id \"x111111111111111111111111111111111111111\" is not a 40-digit lower-case hex object id");
    CHECK(error_of(command(kA, kB, "main") + "0000" + kPack) == "push request: ref name \"main\" is not valid");
    CHECK(error_of(command(kA, kB, "refs/heads/a..b") + "0000" + kPack) == "push request: ref name \"refs/heads/a..b\" is not valid");
    CHECK(error_of(command(kZero, kZero, "refs/heads/x") + "0000") == "push request: push command for refs/heads/x has two zero object ids");
    CHECK(error_of(command(kA, kB, "refs/heads/main", "report-status push-options") + "0000" + kPack) ==
          "push request: capability \"push-options\" was not offered by this hub");
    CHECK(error_of(command(kA, kB, "refs/heads/main") + command(kA, kB, "refs/heads/main") + "0000" + kPack) ==
          "push request updates refs/heads/main twice");
    CHECK(error_of(pkt("shallow " + kA + "\n") + "0000") == "push request: pushing from a shallow clone is not supported");
    CHECK(error_of(command(kA, kB, "refs/heads/main") + "0001" + "0000") == "push request: protocol v2 packets are not accepted here");
    CHECK(error_of(command(kA, kB, "refs/heads/main") + "0000") == "push request carries no pack");
    CHECK(error_of("0000" + kPack) == "push request has data after an empty command list");
    CHECK(error_of(command(kA, kB, "refs/heads/a") + command(kA, kB, "refs/heads/b", "quiet") + "0000" + kPack) ==
          "push request: only the first command may carry capabilities");
}

TEST_CASE("a push request may update at most kMaxPushCommands refs") {
    std::string body;
    for (size_t i = 0; i <= kMaxPushCommands; ++i) body += command(kZero, kA, cat("refs/heads/b", i));
    body += "0000" + kPack;
    CHECK(error_of(body) == cat("push request updates more than ", kMaxPushCommands, " refs"));
}

TEST_CASE("the report travels on side-band 1 after the messages on band 2") {
    PushRequest request;
    request.report_status = true;
    request.side_band_64k = true;
    std::string out = receive_pack_response(request, {"web/bundle.yaml:7: bad"}, "",
                                            {{"refs/heads/main", "invalid bundles"}, {"refs/heads/x", ""}});
    std::string report = pkt("unpack ok\n") + pkt("ng refs/heads/main invalid bundles\n") + pkt("ok refs/heads/x\n") + "0000";
    CHECK(out == sideband(2, "web/bundle.yaml:7: bad\n") + sideband(1, report) + "0000");

    request.side_band_64k = false;
    CHECK(receive_pack_response(request, {"ignored without side-band"}, "", {{"refs/heads/x", ""}}) ==
          pkt("unpack ok\n") + pkt("ok refs/heads/x\n") + "0000");
    CHECK(receive_pack_response(request, {}, "bad pack: early EOF", {{"refs/heads/x", "unpacker error"}}) ==
          pkt("unpack bad pack: early EOF\n") + pkt("ng refs/heads/x unpacker error\n") + "0000");
}
