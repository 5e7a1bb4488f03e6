#pragma once
// git-receive-pack over stateless HTTP (gitprotocol-pack.txt "Reference
// Update Request" and "Report Status"): the command list at the front of a
// push request, and the report the client turns into its "[remote rejected]"
// lines. The pack that follows the command list is the indexer's business
// (quarantine.h); this file never looks at it.
#include <git2.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace drover::git {

// At most this many ref updates in one push, and this many bytes of command
// list: a fleet repository has a handful of branches, and a bound keeps a
// hostile request from costing memory.
constexpr size_t kMaxPushCommands = 1000;
constexpr size_t kMaxCommandListBytes = 1 << 20;

struct RefCommand {
    git_oid old_id{};
    git_oid new_id{};
    std::string ref;  // "refs/heads/main"
    bool creates() const { return git_oid_is_zero(&old_id); }
    bool deletes() const { return git_oid_is_zero(&new_id); }
};

struct PushRequest {
    std::vector<RefCommand> commands;
    // What the client asked for on the first command.
    bool report_status = false;
    bool side_band_64k = false;
    bool quiet = false;
    bool atomic = false;
    // The pack starts at this offset of the body; a push of deletes only has none.
    size_t pack_offset = 0;
    // The body was just a flush: git's probe before a large request, answered
    // with an empty 200.
    bool probe = false;
    bool has_pack() const;
};

// Capabilities the hub advertises for git-receive-pack. `delete-refs` is
// included: deleting branches other than the deploy branch is allowed.
std::string receive_pack_capabilities(std::string_view agent);

// Parses the command list at the front of `head` (the first bytes of the
// request body, at least the whole command list; kMaxCommandListBytes
// suffice for any request the limits accept). Untrusted input: a malformed
// packet, object id or ref name, a capability we did not advertise, push
// options or shallow lines, too many commands, or a list that does not end
// within `head` is an error naming what is wrong.
Result<PushRequest> parse_push_request(std::string_view head, size_t body_size);

// The outcome of one command: ok (empty reason) or refused with a reason
// the client shows as "! [remote rejected] main -> main (reason)".
struct RefResult {
    std::string ref;
    std::string refused;
};

// The whole response body: `messages` (shown by git as "remote: ..." lines)
// on side-band 2, then the report-status block on band 1 and a flush — or,
// for a client that did not ask for side-band, the bare report. An empty
// unpack_error means the pack was stored; otherwise every ref is refused.
std::string receive_pack_response(const PushRequest& request, const std::vector<std::string>& messages,
                                  std::string_view unpack_error, const std::vector<RefResult>& results);

}  // namespace drover::git
