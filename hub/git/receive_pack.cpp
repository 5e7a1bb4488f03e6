#include "hub/git/receive_pack.h"

#include "common/text.h"
#include "hub/git/handles.h"
#include "hub/git/pkt_line.h"

namespace drover::git {

namespace {

Result<git_oid> parse_oid(std::string_view hex, const char* what) {
    git_oid oid;
    if (hex.size() != GIT_OID_HEXSZ || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos ||
        git_oid_fromstrn(&oid, hex.data(), hex.size()) < 0)
        return fail(cat(what, " ", quoted(utf8_prefix(hex, 64)), " is not a 40-digit lower-case hex object id"));
    return oid;
}

Result<RefCommand> parse_command(std::string_view line) {
    // "<old> SP <new> SP <ref>"
    if (line.size() < 2 * GIT_OID_HEXSZ + 3 || line[GIT_OID_HEXSZ] != ' ' || line[2 * GIT_OID_HEXSZ + 1] != ' ')
        return fail(cat("push command ", quoted(utf8_prefix(line, 120)), " is not \"<old-id> <new-id> <ref>\""));
    RefCommand c;
    auto old_id = parse_oid(line.substr(0, GIT_OID_HEXSZ), "old object id");
    if (!old_id) return std::unexpected(old_id.error());
    auto new_id = parse_oid(line.substr(GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ), "new object id");
    if (!new_id) return std::unexpected(new_id.error());
    c.old_id = *old_id;
    c.new_id = *new_id;
    c.ref = std::string(line.substr(2 * GIT_OID_HEXSZ + 2));
    int valid = 0;
    if (!starts_with(c.ref, "refs/") || git_reference_name_is_valid(&valid, c.ref.c_str()) < 0 || !valid)
        return fail(cat("ref name ", quoted(utf8_prefix(c.ref, 200)), " is not valid"));
    if (c.creates() && c.deletes()) return fail(cat("push command for ", c.ref, " has two zero object ids"));
    return c;
}

Result<void> apply_capabilities(std::string_view caps, PushRequest& request) {
    for (auto& cap : split(caps, ' ')) {
        if (cap.empty()) continue;
        if (cap == "report-status") request.report_status = true;
        else if (cap == "side-band-64k") request.side_band_64k = true;
        else if (cap == "quiet") request.quiet = true;
        else if (cap == "atomic") request.atomic = true;
        else if (cap == "delete-refs" || cap == "ofs-delta" || cap == "object-format=sha1" || starts_with(cap, "agent="))
            continue;
        else return fail(cat("capability ", quoted(utf8_prefix(cap, 80)), " was not offered by this hub"));
    }
    return {};
}

}  // namespace

bool PushRequest::has_pack() const {
    for (auto& c : commands)
        if (!c.deletes()) return true;
    return false;
}

std::string receive_pack_capabilities(std::string_view agent) {
    return cat("report-status delete-refs side-band-64k quiet atomic ofs-delta object-format=sha1 agent=", agent);
}

Result<PushRequest> parse_push_request(std::string_view head, size_t body_size) {
    GitLibrary library;  // ref-name checks use libgit2 (its per-thread error state needs it initialised)
    PushRequest request;
    std::string_view in = head;
    while (true) {
        auto p = read_pkt(in);
        if (!p) return fail(cat("push request: ", p.error().message));
        if (!*p) {
            if (head.size() < body_size && head.size() >= kMaxCommandListBytes)
                return fail(cat("push request: the command list is longer than ", kMaxCommandListBytes, " bytes"));
            return fail("push request ends inside its command list (no flush packet)");
        }
        if ((*p)->kind == PktKind::flush) break;
        if ((*p)->kind != PktKind::data) return fail("push request: protocol v2 packets are not accepted here");
        std::string_view line = (*p)->payload;
        if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        if (starts_with(line, "shallow ")) return fail("push request: pushing from a shallow clone is not supported");
        if (starts_with(line, "push-cert")) return fail("push request: signed pushes are not supported");
        if (request.commands.size() == kMaxPushCommands)
            return fail(cat("push request updates more than ", kMaxPushCommands, " refs"));
        std::string_view command = line;
        if (request.commands.empty()) {
            auto nul = line.find('\0');
            if (nul != std::string_view::npos) {
                command = line.substr(0, nul);
                if (auto ok = apply_capabilities(line.substr(nul + 1), request); !ok)
                    return fail(cat("push request: ", ok.error().message));
            }
        } else if (line.find('\0') != std::string_view::npos) {
            return fail("push request: only the first command may carry capabilities");
        }
        auto c = parse_command(command);
        if (!c) return fail(cat("push request: ", c.error().message));
        for (auto& earlier : request.commands)
            if (earlier.ref == c->ref) return fail(cat("push request updates ", c->ref, " twice"));
        request.commands.push_back(std::move(*c));
    }
    request.pack_offset = head.size() - in.size();
    if (request.commands.empty()) {
        if (request.pack_offset != body_size) return fail("push request has data after an empty command list");
        request.probe = true;
        return request;
    }
    if (!request.has_pack() && request.pack_offset != body_size)
        return fail("push request deletes refs only but carries a pack");
    if (request.has_pack() && request.pack_offset == body_size) return fail("push request carries no pack");
    return request;
}

std::string receive_pack_response(const PushRequest& request, const std::vector<std::string>& messages,
                                  std::string_view unpack_error, const std::vector<RefResult>& results) {
    std::string report;
    if (request.report_status) {
        report = pkt(unpack_error.empty() ? std::string("unpack ok\n") : cat("unpack ", unpack_error, "\n"));
        for (auto& r : results) {
            // A reason is one line, and a packet has room for about 64 KiB.
            std::string reason = utf8_prefix(r.refused.substr(0, r.refused.find('\n')), 1000);
            report += pkt(r.refused.empty() ? cat("ok ", r.ref, "\n") : cat("ng ", r.ref, " ", reason, "\n"));
        }
        report += kFlushPkt;
    }
    if (!request.side_band_64k) return report;
    std::string out;
    if (!messages.empty()) {
        std::string text;
        for (auto& m : messages) text += m + "\n";
        out += sideband(2, text);
    }
    if (!report.empty()) out += sideband(1, report);
    out += kFlushPkt;
    return out;
}

}  // namespace drover::git
