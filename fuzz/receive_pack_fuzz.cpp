// Fuzz target: git smart-HTTP request parsing (pkt-line framing, the
// receive-pack command list and the upload-pack want/have request), all fed
// the same input as a request body.
//
// Beyond "no crash, no leak, no UB" it checks: read_pkt consumes a packet
// or leaves its input untouched and its payload lies inside the input; a
// parsed push request's pack offset lies inside the body; and the report
// the hub would send for a parsed push is itself well-formed pkt-lines.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hub/git/handles.h"
#include "hub/git/pkt_line.h"
#include "hub/git/receive_pack.h"
#include "hub/git/upload_pack.h"

using namespace drover;

namespace {

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "receive_pack_fuzz: %s\n", what);
    std::abort();
}

// Reads packets until the input ends, is incomplete or is malformed.
// Returns whether every byte was consumed as whole packets.
bool read_all(std::string_view whole) {
    std::string_view in = whole;
    while (!in.empty()) {
        std::string_view before = in;
        auto p = git::read_pkt(in);
        if (!p) return false;
        if (!*p) {
            if (in.data() != before.data() || in.size() != before.size()) broken("an incomplete packet was consumed");
            return false;
        }
        if (in.size() >= before.size()) broken("a packet was read without consuming input");
        const auto& payload = (*p)->payload;
        if (!payload.empty() && (payload.data() < whole.data() || payload.data() + payload.size() > whole.data() + whole.size()))
            broken("a payload points outside the input");
        if (payload.size() > git::kMaxPktLength - 4) broken("a payload is longer than a packet may be");
    }
    return true;
}

void check_push(std::string_view body, size_t body_size) {
    auto request = git::parse_push_request(body, body_size);
    if (!request) return;
    if (request->pack_offset > body_size) broken("the pack starts beyond the body");
    std::vector<git::RefResult> results;
    for (size_t i = 0; i < request->commands.size(); ++i)
        results.push_back({request->commands[i].ref, i % 2 ? "refused by the fuzzer" : ""});
    for (std::string_view unpack_error : {"", "unpack failed"}) {
        auto response = git::receive_pack_response(*request, {"a message", std::string(body.substr(0, 200))},
                                                    unpack_error, results);
        if (!read_all(response)) broken("the push report is not well-formed pkt-lines");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // libgit2 stays initialised, as in the hub: otherwise each parse pays
    // libgit2's start-up (it loads the system CA bundle, ~10 ms).
    static const git::GitLibrary libgit2;
    std::string_view body(reinterpret_cast<const char*>(data), size);
    (void)read_all(body);
    check_push(body, body.size());
    // The head of a larger body (the pack beyond it not yet read).
    check_push(body, body.size() + 4096);
    (void)git::parse_upload_request(body);
    return 0;
}
