#include "hub/git/upload_pack.h"

#include <algorithm>
#include <cstdio>
#include <new>
#include <optional>

#include "common/text.h"
#include "hub/git/handles.h"
#include "hub/git/pkt_line.h"

namespace drover::git {

namespace {

// side-band (without -64k) packets are at most 1000 bytes (git's
// DEFAULT_PACKET_MAX): 4 length digits and a band byte leave this much data.
constexpr size_t kMaxSmallSidebandData = 1000 - 4 - 1;
constexpr size_t kMaxShownLine = 80;
constexpr size_t kMaxAgentBytes = 200;

std::unexpected<Error> request_error(const std::string& what) { return fail("upload-pack request: " + what); }

std::string shown(std::string_view line) {
    std::string out = quoted(utf8_prefix(line, kMaxShownLine));
    if (line.size() > kMaxShownLine) out += "...";
    return out;
}

std::string hex(const git_oid& id) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, &id);
    return buf;
}

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::optional<git_oid> parse_oid(std::string_view text) {
    if (text.size() != GIT_OID_HEXSZ || !std::all_of(text.begin(), text.end(), is_hex_digit)) return std::nullopt;
    git_oid id;
    if (git_oid_fromstrn(&id, text.data(), text.size()) < 0) return std::nullopt;
    return id;
}

void apply_capabilities(std::string_view caps, UploadRequest& request) {
    bool multi_ack = false, multi_ack_detailed = false;
    for (const std::string& cap : split(caps, ' ')) {
        if (cap == "side-band-64k")
            request.side_band_64k = true;
        else if (cap == "side-band")
            request.side_band = true;
        else if (cap == "no-progress")
            request.no_progress = true;
        else if (cap == "ofs-delta")
            request.ofs_delta = true;
        else if (cap == "multi_ack")
            multi_ack = true;
        else if (cap == "multi_ack_detailed")
            multi_ack_detailed = true;
        else if (starts_with(cap, "agent="))
            request.agent = utf8_prefix(std::string_view(cap).substr(6), kMaxAgentBytes);
    }
    request.ack_mode = multi_ack_detailed ? AckMode::multi_ack_detailed
                       : multi_ack        ? AckMode::multi_ack
                                          : AckMode::single;
}

bool is_shallow_command(std::string_view command) {
    return command == "shallow" || command == "deepen" || command == "deepen-since" || command == "deepen-not";
}

// Where the parser is in the request grammar.
enum class Section { wants, haves, after_flush, after_done };

// One want line's argument: "<oid>" or, on the first want, "<oid> <caps>".
Result<void> parse_want(std::string_view arg, size_t packet, std::string_view line, UploadRequest& request) {
    if (request.wants.size() == kMaxUploadWants)
        return request_error(cat("more than ", kMaxUploadWants, " want lines"));
    auto id = parse_oid(arg.substr(0, GIT_OID_HEXSZ));
    if (!id) return request_error(cat("packet ", packet, " ", shown(line), ": want needs a 40-hex object id"));
    std::string_view rest = arg.size() > GIT_OID_HEXSZ ? arg.substr(GIT_OID_HEXSZ) : std::string_view();
    if (!rest.empty()) {
        if (rest[0] != ' ')
            return request_error(cat("packet ", packet, " ", shown(line), ": want needs a 40-hex object id"));
        if (!request.wants.empty())
            return request_error(
                cat("packet ", packet, " ", shown(line), ": only the first want line may carry capabilities"));
        apply_capabilities(rest.substr(1), request);
    }
    request.wants.push_back(*id);
    return {};
}

Result<void> parse_want_section_line(std::string_view command, std::string_view arg, size_t packet,
                                     std::string_view line, UploadRequest& request) {
    if (command == "want") return parse_want(arg, packet, line, request);
    if (is_shallow_command(command))
        return request_error(
            cat("packet ", packet, " ", shown(line),
                ": shallow clones and fetches are not supported (the hub does not advertise shallow)"));
    if (command == "filter")
        return request_error(cat("packet ", packet, " ", shown(line),
                                 ": partial clones are not supported (the hub does not advertise filter)"));
    if (command == "have")
        return request_error(
            cat("packet ", packet, ": have line ",
                request.wants.empty() ? "before any want line" : "before the flush ending the want lines"));
    if (command == "done")
        return request_error(
            cat("packet ", packet, ": done ",
                request.wants.empty() ? "without any want line" : "before the flush ending the want lines"));
    if (request.wants.empty())
        return request_error(cat("packet ", packet, ": expected a want line, got ", shown(line)));
    return request_error(cat("packet ", packet, ": unknown line ", shown(line), " among the want lines"));
}

Result<void> parse_have_section_line(std::string_view command, std::string_view arg, size_t packet,
                                     std::string_view line, UploadRequest& request, Section& section) {
    if (command == "have") {
        if (request.haves.size() == kMaxUploadHaves)
            return request_error(cat("more than ", kMaxUploadHaves, " have lines"));
        auto id = parse_oid(arg);
        if (!id) return request_error(cat("packet ", packet, " ", shown(line), ": have needs a 40-hex object id"));
        request.haves.push_back(*id);
        return {};
    }
    if (line == "done") {
        request.done = true;
        section = Section::after_done;
        return {};
    }
    if (command == "want")
        return request_error(cat("packet ", packet, ": want line after the flush ending the want lines"));
    return request_error(cat("packet ", packet, ": unknown line ", shown(line), " among the have lines"));
}

}  // namespace

std::string upload_pack_capabilities(std::string_view head_branch, std::string_view agent) {
    std::string caps = "multi_ack_detailed side-band-64k ofs-delta no-progress";
    if (!head_branch.empty()) caps += cat(" symref=HEAD:refs/heads/", head_branch);
    caps += cat(" object-format=sha1 agent=", agent);
    return caps;
}

Result<UploadRequest> parse_upload_request(std::string_view body) {
    UploadRequest request;
    if (body.empty()) return request_error("the body is empty");
    if (body == kFlushPkt) {
        request.probe = true;
        return request;
    }
    Section section = Section::wants;
    size_t packet = 0;
    std::string_view in = body;
    while (!in.empty()) {
        ++packet;
        auto next = read_pkt(in);
        if (!next) return request_error(cat("packet ", packet, ": ", next.error().message));
        if (!*next) return request_error(cat("the body ends inside packet ", packet, " (", in.size(), " bytes left)"));
        const Pkt& p = **next;
        if (section == Section::after_done) return request_error(cat("packet ", packet, ": data after done"));
        if (section == Section::after_flush)
            return request_error(cat("packet ", packet, ": data after the flush ending the have lines"));
        if (p.kind == PktKind::delim || p.kind == PktKind::response_end)
            return request_error(cat("packet ", packet, ": protocol v2 ",
                                     p.kind == PktKind::delim ? "delimiter" : "response-end",
                                     " packet in a protocol v0 request"));
        if (p.kind == PktKind::flush) {
            if (section == Section::haves) {
                section = Section::after_flush;
            } else {
                if (request.wants.empty()) return request_error(cat("packet ", packet, ": flush before any want line"));
                section = Section::haves;
            }
            continue;
        }
        std::string_view line = p.payload;
        if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        if (line.empty()) return request_error(cat("packet ", packet, " is empty"));
        size_t space = line.find(' ');
        std::string_view command = line.substr(0, space);
        std::string_view arg = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
        Result<void> ok = section == Section::wants
                              ? parse_want_section_line(command, arg, packet, line, request)
                              : parse_have_section_line(command, arg, packet, line, request, section);
        if (!ok) return std::unexpected(ok.error());
    }
    if (section == Section::wants)
        return request_error(request.wants.empty() ? "no want line"
                                                   : "the body ends before the flush ending the want lines");
    if (section == Section::haves) return request_error("the body ends without a flush or done after the have lines");
    return request;
}

namespace {

std::unexpected<Error> libgit2_error(const std::string& what) {
    return fail(cat("upload-pack: cannot ", what, ": ", last_error()));
}

// The pack as git expects it after the ACK/NAK lines: band-1 packets of at
// most max_data bytes, or the raw bytes when max_data is 0. Frames in place,
// so the pack is copied once, into `out`.
class PackStream {
public:
    PackStream(std::string& out, size_t max_data) : out_(out), max_data_(max_data) {}

    void write(const char* data, size_t size) {
        pack_bytes_ += size;
        if (max_data_ == 0) {
            out_.append(data, size);
            return;
        }
        while (size > 0) {
            if (!open_) {
                open_ = out_.size();
                out_.append("0000\1", 5);
            }
            size_t room = max_data_ - (out_.size() - *open_ - 5);
            size_t take = std::min(size, room);
            out_.append(data, take);
            data += take;
            size -= take;
            if (take == room) close();
        }
    }

    void close() {
        if (!open_) return;
        char head[5];
        std::snprintf(head, sizeof head, "%04zx", out_.size() - *open_);
        out_.replace(*open_, 4, head, 4);
        open_.reset();
    }

    static int callback(void* data, size_t size, void* payload) {
        auto* self = static_cast<PackStream*>(payload);
        try {
            self->write(static_cast<const char*>(data), size);
            return 0;
        } catch (const std::bad_alloc&) {
            self->out_of_memory_ = true;
            return -1;
        }
    }

    bool out_of_memory() const { return out_of_memory_; }
    size_t pack_bytes() const { return pack_bytes_; }

private:
    std::string& out_;
    size_t max_data_;
    std::optional<size_t> open_;  // offset of the packet being filled
    size_t pack_bytes_ = 0;
    bool out_of_memory_ = false;
};

// A want goes into the pack with everything it reaches: an annotated tag
// (a chain of them) as objects, then its target; commits through the walk.
Result<void> add_want(git_repository* repo, git_packbuilder* pb, git_revwalk* walk, const git_oid& want) {
    git_object* raw = nullptr;
    if (git_object_lookup(&raw, repo, &want, GIT_OBJECT_ANY) < 0) return libgit2_error(cat("read ", hex(want)));
    ObjectPtr object(raw);
    while (git_object_type(object.get()) == GIT_OBJECT_TAG) {
        if (git_packbuilder_insert(pb, git_object_id(object.get()), nullptr) < 0)
            return libgit2_error(cat("add tag ", hex(*git_object_id(object.get()))));
        git_object* target = nullptr;
        if (git_tag_target(&target, reinterpret_cast<git_tag*>(object.get())) < 0)
            return libgit2_error(cat("read the target of tag ", hex(*git_object_id(object.get()))));
        object.reset(target);
    }
    const git_oid* id = git_object_id(object.get());
    int rc = 0;
    switch (git_object_type(object.get())) {
        case GIT_OBJECT_COMMIT:
            rc = git_revwalk_push(walk, id);
            break;
        case GIT_OBJECT_TREE:
            rc = git_packbuilder_insert_tree(pb, id);
            break;
        default:
            rc = git_packbuilder_insert(pb, id, nullptr);
            break;
    }
    if (rc < 0) return libgit2_error(cat("add ", hex(*id)));
    return {};
}

// The client has `have` and, git's invariant, everything it reaches: a
// commit (or a tag of one) hides its history from the walk. Trees and blobs
// are not used to trim the pack.
Result<void> hide_have(git_repository* repo, git_revwalk* walk, const git_oid& have) {
    git_object* raw = nullptr;
    if (git_object_lookup(&raw, repo, &have, GIT_OBJECT_ANY) < 0) return libgit2_error(cat("read ", hex(have)));
    ObjectPtr object(raw);
    git_object* peeled_raw = nullptr;
    if (git_object_peel(&peeled_raw, object.get(), GIT_OBJECT_COMMIT) < 0) {
        git_error_clear();
        return {};
    }
    ObjectPtr peeled(peeled_raw);
    if (git_revwalk_hide(walk, git_object_id(peeled.get())) < 0) return libgit2_error(cat("hide ", hex(have)));
    return {};
}

Result<void> append_pack(git_repository* repo, const UploadRequest& request, const std::vector<git_oid>& common,
                         std::string& out) {
    git_packbuilder* pb_raw = nullptr;
    if (git_packbuilder_new(&pb_raw, repo) < 0) return libgit2_error("start a pack");
    PackbuilderPtr pb(pb_raw);
    git_revwalk* walk_raw = nullptr;
    if (git_revwalk_new(&walk_raw, repo) < 0) return libgit2_error("start a revision walk");
    RevwalkPtr walk(walk_raw);
    for (const git_oid& want : request.wants)
        if (auto ok = add_want(repo, pb.get(), walk.get(), want); !ok) return ok;
    for (const git_oid& have : common)
        if (auto ok = hide_have(repo, walk.get(), have); !ok) return ok;
    if (git_packbuilder_insert_walk(pb.get(), walk.get()) < 0) return libgit2_error("collect the objects to send");

    bool sideband = request.side_band_64k || request.side_band;
    bool progress = sideband && !request.no_progress;
    size_t objects = git_packbuilder_object_count(pb.get());
    if (progress) out += git::sideband(2, cat("Counting objects: ", objects, ", done.\n"));
    PackStream stream(out, request.side_band_64k ? kMaxSidebandData : request.side_band ? kMaxSmallSidebandData : 0);
    if (git_packbuilder_foreach(pb.get(), &PackStream::callback, &stream) < 0) {
        if (stream.out_of_memory()) return fail("upload-pack: out of memory while writing the pack");
        return libgit2_error("write the pack");
    }
    stream.close();
    if (progress) out += git::sideband(2, cat("Total ", objects, " objects, ", stream.pack_bytes(), " bytes.\n"));
    if (sideband) out += kFlushPkt;
    return {};
}

}  // namespace

Result<std::string> upload_pack_response(git_repository* repo, const UploadRequest& request,
                                         const std::vector<git_oid>& tips) {
    if (request.probe) return std::string();
    if (request.wants.empty()) return fail("upload-pack: a request without wants has no response");

    std::vector<git_oid> sorted_tips = tips;
    auto less = [](const git_oid& a, const git_oid& b) { return git_oid_cmp(&a, &b) < 0; };
    std::sort(sorted_tips.begin(), sorted_tips.end(), less);
    for (const git_oid& want : request.wants)
        if (!std::binary_search(sorted_tips.begin(), sorted_tips.end(), want, less))
            return pkt(cat("ERR upload-pack: not our ref ", hex(want), "\n"));

    git_odb* odb_raw = nullptr;
    if (git_repository_odb(&odb_raw, repo) < 0) return libgit2_error("open the object database");
    OdbPtr odb(odb_raw);
    // One rescan of the pack directory, then lookups without one: haves the
    // hub lacks are the common case in a negotiation and each miss would
    // otherwise rescan.
    if (git_odb_refresh(odb.get()) < 0) return libgit2_error("refresh the object database");

    std::string out;
    std::vector<git_oid> common;
    for (const git_oid& have : request.haves) {
        if (git_odb_exists_ext(odb.get(), &have, GIT_ODB_LOOKUP_NO_REFRESH) != 1) continue;
        common.push_back(have);
        switch (request.ack_mode) {
            case AckMode::multi_ack_detailed:
                out += pkt(cat("ACK ", hex(have), " common\n"));
                break;
            case AckMode::multi_ack:
                out += pkt(cat("ACK ", hex(have), " continue\n"));
                break;
            case AckMode::single:
                if (common.size() == 1) out += pkt(cat("ACK ", hex(have), "\n"));
                break;
        }
    }
    if (!request.done) {
        if (request.ack_mode != AckMode::single || common.empty()) out += pkt("NAK\n");
        return out;
    }
    if (common.empty())
        out += pkt("NAK\n");
    else if (request.ack_mode != AckMode::single)
        out += pkt(cat("ACK ", hex(common.back()), "\n"));

    if (auto ok = append_pack(repo, request, common, out); !ok) return std::unexpected(ok.error());
    return out;
}

}  // namespace drover::git
