#pragma once
// git-upload-pack (clone and fetch) for the hub's smart-HTTP endpoint,
// protocol v0 over stateless HTTP (git gitprotocol-pack.txt,
// gitprotocol-http.txt; docs/research/git-smart-http.md §3): one POST body
// in, one response body out. No I/O here: the caller de-chunks and gunzips
// the request body and sends the response with result_content_type().
//
// Not supported, and not advertised: shallow/deepen, filter, thin packs,
// no-done/"ready", include-tag, wants outside the advertised tips, protocol v2.
#include <git2.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace drover::git {

// The capabilities for the first ref of an upload-pack advertisement:
// "multi_ack_detailed side-band-64k ofs-delta no-progress symref=HEAD:refs/heads/<head_branch>
// object-format=sha1 agent=<agent>". `agent` is the whole value, e.g.
// "drover/0.1.0". Without a head branch (empty) the symref is left out.
std::string upload_pack_capabilities(std::string_view head_branch, std::string_view agent);

// Bounds on one request: git sends at most a few thousand haves per round
// (16, 32, ... 16384, then +10%), plus the common ones it replays.
constexpr size_t kMaxUploadWants = 100'000;
constexpr size_t kMaxUploadHaves = 100'000;

// How the client wants its haves acknowledged (the multi_ack* capability it
// asked for). git's stateless client always asks for multi_ack_detailed.
enum class AckMode { single, multi_ack, multi_ack_detailed };

// One stateless-RPC upload-pack request:
//   want <oid>[ <capabilities>]   (capabilities on the first want only)
//   want <oid> ...
//   0000
//   have <oid> ...
//   0000 (a negotiation round: the answer is ACK/NAK lines only)
//   | done (the last request: the answer carries the pack)
// A body of exactly "0000" is git's probe before a large (chunked) request:
// not an error, probe = true and nothing else is set; answer it 200 with an
// empty body.
struct UploadRequest {
    std::vector<git_oid> wants;
    std::vector<git_oid> haves;
    bool done = false;
    bool probe = false;
    // What the client asked for on its first want line. Unknown capabilities
    // are ignored, as git does.
    bool side_band_64k = false, side_band = false, no_progress = false, ofs_delta = false;
    AckMode ack_mode = AckMode::single;
    std::string agent;  // the client's agent= value, for logs; may be empty
};

// Parses an untrusted request body. Fails, naming the line and what is wrong,
// on: a truncated or malformed pkt-line, a protocol v2 packet, a line other
// than the grammar above (including shallow/deepen/filter, which the hub does
// not advertise), a bad object id, no want line, a have before the wants are
// flushed, anything after "done" or after the flush ending the haves, a body
// that ends early, and more than kMaxUploadWants wants or kMaxUploadHaves
// haves.
Result<UploadRequest> parse_upload_request(std::string_view body);

// The response body for one request (Content-Type
// application/x-git-upload-pack-result), mirroring git's upload-pack.c:
//   - a want that is not in `tips` (the object ids the hub advertises now,
//     peeled tag targets included if advertised): the whole answer is the
//     packet "ERR upload-pack: not our ref <hex>", which the client shows;
//   - each have the repository holds is common: "ACK <id> common" per have
//     (multi_ack_detailed; "ACK <id> continue" for multi_ack, a single
//     "ACK <id>" for the first one without multi_ack); haves it lacks are
//     ignored. "ready" is never sent;
//   - without done: "NAK" (none in single mode once something was ACKed)
//     ends the round;
//   - with done: "ACK <last common>" (multi_ack modes) or "NAK" when nothing
//     was common, then the pack of everything reachable from the wants but
//     not from the common haves (annotated tag objects included), on
//     side-band channel 1 with progress on channel 2 (unless no_progress),
//     then a flush. Without side-band the raw pack follows the ACK/NAK.
//   - a probe gets an empty body.
// Fails only on internal (libgit2) errors, with libgit2's message, and on a
// request without wants that is not a probe (a caller bug).
//
// Cost: the answer is built in memory; it holds the whole pack (plus about
// 0.01% of framing), and libgit2's packbuilder adds its object list and
// delta cache while it runs (peak RSS measured at 3-4x the pack). libgit2
// reuses no existing deltas: every clone recompresses and re-deltifies, on
// one thread, which takes seconds for tens of MiB (an 18 MiB YAML tree with
// 100 commits: 4.7 s; an incremental fetch of one commit: 14 ms). The pack
// is REF_DELTA only. `repo` must not be used by another thread meanwhile:
// call this on a worker with its own git_repository.
Result<std::string> upload_pack_response(git_repository* repo, const UploadRequest& request,
                                         const std::vector<git_oid>& tips);

}  // namespace drover::git
