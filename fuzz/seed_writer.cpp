// Writes the seed corpora of the http_body, webhook and agent_session fuzz
// targets (their input formats are in the targets' header comments):
//
//   fuzz_seed_writer DIR      writes DIR/http_body/*, DIR/webhook/*,
//                             DIR/agent_session/*
//
// Run as `fuzz_seed_writer fuzz/corpus` after changing a format, then
// commit the files. The seeds are realistic traffic: git's request bodies
// (chunked, gzip), Git hosts' signed webhook deliveries, and hub sessions
// as an agent sees them, signed with kSeedHubKeyPem. Rewriting gives the
// same files except for ECDSA signatures (randomised) in agent_session.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/deflate.h"
#include "common/text.h"
#include "drover.pb.h"
#include "fuzz/agent_session_script.h"
#include "proto/desired_set.h"
#include "proto/frame.h"
#include "proto/signing_key_chain.h"
#include "proto/spec_signature.h"

using namespace drover;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "fuzz_seed_writer: cannot write %s\n", (dir / name).c_str());
        std::exit(1);
    }
}

// ---- http_body ------------------------------------------------------------

enum BodyFlag : uint8_t { kChunked = 1, kGzip = 2 };
// Index into http_body_fuzz.cpp's kLimits.
enum Limit : uint8_t { k255 = 3, k4K = 4, k64K = 5, k1M = 6 };

std::string body_seed(uint8_t flags, Limit limit, const std::vector<uint16_t>& cuts, const std::string& raw) {
    std::string s;
    s += static_cast<char>(flags | (limit << 2));
    s += static_cast<char>(cuts.size());
    for (uint16_t c : cuts) {
        s += static_cast<char>(c >> 8);
        s += static_cast<char>(c & 0xff);
    }
    return s + raw;
}

// Chunk framing, `piece` bytes per chunk; `extension` after the first size.
std::string chunked(const std::string& data, size_t piece, const std::string& extension = "",
                    const std::string& trailers = "") {
    std::string out;
    for (size_t i = 0; i < data.size(); i += piece) {
        std::string part = data.substr(i, piece);
        char size[20];
        std::snprintf(size, sizeof size, "%zx", part.size());
        out += cat(size, i == 0 ? extension : "", "\r\n", part, "\r\n");
    }
    return out + "0\r\n" + trailers + "\r\n";
}

std::string pkt(const std::string& payload) {
    char head[5];
    std::snprintf(head, sizeof head, "%04zx", payload.size() + 4);
    return head + payload;
}

// What `git fetch` posts to git-upload-pack: wants, haves, done.
std::string upload_request(int haves) {
    std::string s = pkt("want 3f786850e387550fdab836ed7e6dc881de23001b multi_ack_detailed side-band-64k thin-pack "
                        "ofs-delta agent=git/2.39.5\n") +
                    pkt("want 89e6c98d92887913cadf06b2adb97f26cde4849b\n") + "0000";
    for (int i = 0; i < haves; ++i) s += pkt(cat("have ", sha256_hex(cat("commit ", i)).substr(0, 40), "\n"));
    return s + pkt("done\n");
}

void http_body_seeds(const fs::path& dir) {
    std::string small = upload_request(2), big = upload_request(40);
    write(dir, "plain-upload-request", body_seed(0, k1M, {10, 40}, small));
    write(dir, "plain-over-limit", body_seed(0, k255, {100}, big.substr(0, 300)));
    write(dir, "chunked-probe", body_seed(kChunked, k1M, {1, 3, 8}, "4\r\n0000\r\n0\r\n\r\n"));
    write(dir, "chunked-push-extension-trailer",
          body_seed(kChunked, k1M, {2, 150, 151, 400},
                    chunked(pkt("0000000000000000000000000000000000000000 3f786850e387550fdab836ed7e6dc881de23001b "
                                "refs/heads/main\0report-status side-band-64k agent=git/2.39.5"s) +
                                "0000PACK\0\0\0\2\0\0\0\0"s,
                            100, ";ext=1", "X-Trailer: yes\r\n")));
    write(dir, "gzip-fetch", body_seed(kGzip, k1M, {5, 200}, gzip_bytes(big)));
    write(dir, "gzip-chunked-fetch", body_seed(kChunked | kGzip, k1M, {3, 300, 520}, chunked(gzip_bytes(big), 512)));
    write(dir, "chunked-over-limit", body_seed(kChunked, k4K, {1000}, chunked(big + big + big, 1000)));
    write(dir, "gzip-expands-past-limit", body_seed(kGzip, k64K, {}, gzip_bytes(std::string(100000, '0'))));
    std::string corrupt = gzip_bytes(big);
    corrupt[corrupt.size() / 2] ^= 0x5a;
    write(dir, "gzip-corrupt", body_seed(kGzip, k1M, {7}, corrupt));
    write(dir, "chunked-malformed", body_seed(kChunked, k1M, {4}, "5\r\nhelloXX0\r\n\r\n"));
    write(dir, "chunked-cut-short", body_seed(kChunked, k1M, {}, chunked(small, 64).substr(0, 90)));
}

// ---- webhook --------------------------------------------------------------

std::string field(const std::string& s) { return static_cast<char>(s.size()) + s; }

std::string webhook_seed(const std::string& secret, const std::string& github, const std::string& gitea,
                         const std::string& gitlab, const std::string& body) {
    return field(secret) + field(github) + field(gitea) + field(gitlab) + body;
}

void webhook_seeds(const fs::path& dir) {
    const std::string secret = "s3cret-webhook";
    const std::string push =
        R"({"ref":"refs/heads/main","before":"3f786850e387550fdab836ed7e6dc881de23001b",)"
        R"("after":"89e6c98d92887913cadf06b2adb97f26cde4849b","repository":{"full_name":"ops/fleet"},)"
        R"("pusher":{"name":"ops"},"commits":[{"id":"89e6c98d92887913cadf06b2adb97f26cde4849b","message":"web: v2"}]})";
    std::string mac = hex_encode(hmac_sha256(secret, push));
    write(dir, "github-push", webhook_seed(secret, "sha256=" + mac, "", "", push));
    write(dir, "gitea-push", webhook_seed(secret, "", mac, "", push));
    write(dir, "gitlab-push", webhook_seed(secret, "", "", secret, R"({"object_kind":"push","ref":"refs/heads/main"})"));
    write(dir, "all-three", webhook_seed(secret, "sha256=" + mac, mac, secret, push));
    std::string wrong = mac;
    wrong[10] = wrong[10] == '0' ? '1' : '0';
    write(dir, "github-wrong-signature", webhook_seed(secret, "sha256=" + wrong, "", "", push));
    write(dir, "github-sha1-header", webhook_seed(secret, "sha1=" + mac.substr(0, 40), "", "", push));
    std::string long_secret(100, 'k');
    write(dir, "long-secret", webhook_seed(long_secret, "sha256=" + hex_encode(hmac_sha256(long_secret, push)), "", "",
                                           push));
    std::string upper = mac;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    write(dir, "upper-case-whitespace", webhook_seed(secret, "  sha256=" + upper + " \r", "", "", push));
    write(dir, "no-headers", webhook_seed(secret, "", "", "", push));
    write(dir, "padded-secret", webhook_seed(" \t" + secret + "\n", "sha256=" + mac, "", "", push));
    write(dir, "empty-secret", webhook_seed("", "sha256=" + hex_encode(hmac_sha256("", push)), "", "", push));
    write(dir, "empty-body", webhook_seed(secret, "sha256=" + hex_encode(hmac_sha256(secret, "")), "", "", ""));
}

// ---- agent_session --------------------------------------------------------

class SeedHub {
public:
    SigningKey key = *SigningKey::from_pem(fuzz::kSeedHubKeyPem);

    // Set on a hub whose key was rotated: the chain Welcome carries.
    SigningKeyChain chain;

    std::string welcome(uint64_t acked = 0, bool desired_follows = false, const std::string& credential = "") const {
        v1::Envelope env;
        auto* w = env.mutable_welcome();
        for (const auto& link : chain) {
            auto* l = w->add_signing_key_chain();
            l->set_key(link.key_pem);
            l->set_endorsement(link.endorsement);
        }
        w->set_agent_id(fuzz::kAgentId);
        w->set_name("edge-fuzz");
        w->set_credential(credential);
        w->set_signing_key(key.public_pem());
        w->set_acked_seq(acked);
        w->set_desired_state_follows(desired_follows);
        w->set_heartbeat_ms(20000);
        (*w->mutable_labels())["role"] = "gateway";
        return wire::encode(env);
    }

    std::string desired(const std::vector<fuzz::SeedSpec>& specs, const SigningKey* signer = nullptr) const {
        v1::Envelope env;
        auto* d = env.mutable_desired();
        std::vector<DesiredEntry> entries;
        for (const auto& s : specs) {
            auto* dep = d->add_bundles();
            dep->set_bundle(s.bundle);
            dep->set_revision(s.revision);
            dep->set_digest(s.digest);
            dep->set_signature((signer ? *signer : key).sign(spec_signing_message(s.bundle, s.revision, s.digest)));
            dep->set_size(s.compressed.size());
            entries.push_back({s.bundle, s.revision, s.digest});
        }
        d->set_hash(desired_set_hash(entries, VerifyKey::from_pem(key.public_pem())->fingerprint()));
        return wire::encode(env);
    }

    // The answer to Fetch{digest, offset}: chunks of `piece` bytes up to `until`.
    static std::vector<std::string> chunks(const fuzz::SeedSpec& s, size_t offset, size_t piece,
                                           size_t until = SIZE_MAX) {
        std::vector<std::string> out;
        until = std::min(until, s.compressed.size());
        do {
            v1::Envelope env;
            auto* c = env.mutable_chunk();
            c->set_digest(s.digest);
            c->set_offset(offset);
            c->set_data(s.compressed.substr(offset, std::min(piece, until - offset)));
            offset += c->data().size();
            c->set_last(offset >= s.compressed.size());
            c->set_total(s.compressed.size());
            out.push_back(wire::encode(env));
        } while (offset < until);
        return out;
    }

    static std::string ack(uint64_t up_to) {
        v1::Envelope env;
        env.mutable_ack()->set_up_to_seq(up_to);
        return wire::encode(env);
    }

    static std::string close(const std::string& reason) {
        v1::Envelope env;
        env.mutable_close()->set_reason(reason);
        return wire::encode(env);
    }
};

struct Script {
    std::string bytes;
    explicit Script(uint8_t setup) { bytes += static_cast<char>(setup); }
    Script& frame(const std::string& f) {
        fuzz::append_step(bytes, fuzz::Op::frame, f);
        return *this;
    }
    Script& frames(const std::vector<std::string>& fs) {
        for (const auto& f : fs) frame(f);
        return *this;
    }
    Script& statuses(uint8_t n) {
        fuzz::append_step(bytes, fuzz::Op::statuses, std::string(1, static_cast<char>(n)));
        return *this;
    }
    Script& reconnect() {
        fuzz::append_step(bytes, fuzz::Op::reconnect, "");
        return *this;
    }
    Script& drop(uint8_t b) {
        fuzz::append_step(bytes, fuzz::Op::reconciler_drops, std::string(1, static_cast<char>(b)));
        return *this;
    }
};

void agent_session_seeds(const fs::path& dir) {
    using fuzz::kCachedState;
    using fuzz::kPinned;
    using fuzz::kRegistered;
    SeedHub hub;
    const std::string rev = "89e6c98d92887913cadf06b2adb97f26cde4849b";
    auto web = fuzz::seed_spec("web", rev, "v2");
    auto infra = fuzz::seed_spec("infra", rev, "namespaces");
    // Bigger than one small chunk: several pieces, a resume in the middle.
    std::string filler;
    for (int i = 0; filler.size() < 3000; ++i) filler += sha256_hex(cat(i));
    auto bulky = fuzz::seed_spec("bulky", rev, filler);
    fuzz::EarlierRun earlier;

    write(dir, "register-fetch-ack",
          Script(0)
              .frame(hub.welcome(0, true, "cred_1"))
              .frame(hub.desired({infra, web}))
              .frames(SeedHub::chunks(infra, 0, 100))
              .frames(SeedHub::chunks(web, 0, 100))
              .statuses(3)
              .frame(SeedHub::ack(2))
              .frame(SeedHub::ack(3))
              .bytes);
    write(dir, "pinned-first-contact",
          Script(kPinned).frame(hub.welcome(0, true, "cred_1")).frame(hub.desired({web})).frames(SeedHub::chunks(web, 0, 4096)).bytes);
    auto bulky_chunks = SeedHub::chunks(bulky, 0, 1000);
    write(dir, "reconnect-resumes-download",
          Script(kRegistered | kPinned)
              .frame(hub.welcome(0, true))
              .frame(hub.desired({bulky}))
              .frames({bulky_chunks.begin(), bulky_chunks.begin() + 1})
              .reconnect()
              .frame(hub.welcome())
              .frames(SeedHub::chunks(bulky, 1000, 1000))
              .bytes);
    write(dir, "earlier-run-resumes-partial",
          Script(kRegistered | kPinned | kCachedState)
              .frame(hub.welcome())
              .frames(SeedHub::chunks(earlier.half, earlier.half_stored, 100))
              .bytes);
    write(dir, "statuses-acks-excess",
          Script(kRegistered | kPinned)
              .statuses(70)
              .frame(hub.welcome())
              .frame(SeedHub::ack(10))
              .frame(SeedHub::ack(64))
              .frame(SeedHub::ack(200))
              .statuses(5)
              .reconnect()
              .frame(hub.welcome(60))
              .frame(SeedHub::ack(75))
              .bytes);
    SigningKey other = *SigningKey::from_pem(generate_p256_key_pem());
    SeedHub impostor;
    impostor.key = *SigningKey::from_pem(generate_p256_key_pem());
    write(dir, "welcome-with-another-key", Script(kRegistered | kPinned).frame(impostor.welcome()).frame(hub.welcome()).bytes);
    write(dir, "desired-with-a-forged-signature",
          Script(kRegistered | kPinned)
              .frame(hub.welcome(0, true))
              .frame(hub.desired({web}, &other))
              .frame(hub.welcome(0, true))
              .frame(hub.desired({web, infra}))
              .bytes);
    write(dir, "chunks-out-of-order",
          Script(kRegistered | kPinned)
              .frame(hub.welcome(0, true))
              .frame(hub.desired({bulky}))
              .frame(bulky_chunks[1])
              .frame(SeedHub::chunks(web, 0, 100)[0])
              .frames(bulky_chunks)
              .bytes);
    auto forged = bulky;
    forged.compressed = deflate_bytes(bulky.spec + " ");  // content that is not its digest
    write(dir, "content-not-its-digest",
          Script(kRegistered | kPinned)
              .frame(hub.welcome(0, true))
              .frame(hub.desired({bulky}))
              .frames(SeedHub::chunks(forged, 0, 2000))
              .frames(SeedHub::chunks(bulky, 0, 2000))
              .bytes);
    write(dir, "desired-replaced-mid-download",
          Script(kRegistered | kPinned)
              .frame(hub.welcome(0, true))
              .frame(hub.desired({bulky}))
              .frame(bulky_chunks[0])
              .frame(hub.desired({web}))
              .frame(bulky_chunks[1])
              .frames(SeedHub::chunks(web, 0, 100))
              .bytes);
    write(dir, "hub-closes", Script(kRegistered | kPinned).frame(hub.welcome()).frame(SeedHub::close("agent revoked")).bytes);
    write(dir, "reconciler-drops-and-forgets",
          Script(kRegistered | kPinned | kCachedState)
              .frame(hub.welcome())
              .frames(SeedHub::chunks(earlier.half, earlier.half_stored, 1000))
              .drop(0)
              .frames(SeedHub::chunks(earlier.cached, 0, 1000))
              .drop(1)
              .reconnect()
              .frame(hub.welcome(0, true))
              .frame(hub.desired({earlier.cached, web}))
              .frames(SeedHub::chunks(web, 0, 1000))
              .bytes);
    write(dir, "ack-before-welcome", Script(kRegistered | kPinned).frame(SeedHub::ack(1)).frame(hub.welcome()).bytes);
    // Found by this target: a Welcome acknowledging seq 2^64-1 used up the
    // outbox's seq space, so no status could be queued again.
    write(dir, "welcome-acks-max-seq",
          Script(kRegistered | kPinned)
              .statuses(3)
              .frame(hub.welcome(UINT64_MAX))
              .statuses(5)
              .frame(SeedHub::ack(UINT64_MAX))
              .reconnect()
              .frame(hub.welcome(3))
              .bytes);

    // The hub's key rotated from kSeedHubKeyPem to kSeedRotatedKeyPem: the
    // agent follows the endorsement and re-pins with the set signed anew;
    // a link lost before that set keeps the old key and the entries it signed.
    SeedHub rotated;
    rotated.key = *SigningKey::from_pem(fuzz::kSeedRotatedKeyPem);
    rotated.chain = {{hub.key.public_pem(), ""}, endorse_signing_key(hub.key, rotated.key.public_pem())};
    write(dir, "key-rotation",
          Script(kRegistered | kPinned | kCachedState)
              .frame(rotated.welcome(0, true))
              .frame(rotated.desired({earlier.cached, web}))
              .frames(SeedHub::chunks(web, 0, 1000))
              .reconnect()
              .frame(rotated.welcome())
              .bytes);
    write(dir, "key-rotation-link-lost",
          Script(kRegistered | kPinned | kCachedState)
              .frame(rotated.welcome(0, true))
              .reconnect()
              .frame(hub.welcome())
              .frames(SeedHub::chunks(earlier.half, earlier.half_stored, 1000))
              .bytes);
    SeedHub unendorsed;
    unendorsed.key = *SigningKey::from_pem(fuzz::kSeedRotatedKeyPem);
    unendorsed.chain = rotated.chain;
    unendorsed.chain.back().endorsement = other.sign(signing_key_rotation_message(rotated.key.public_pem()));
    write(dir, "key-rotation-forged-endorsement",
          Script(kRegistered | kPinned).frame(unendorsed.welcome(0, true)).frame(unendorsed.desired({web})).bytes);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seed_writer DIR   (writes DIR/http_body, DIR/webhook, DIR/agent_session)\n");
        return 2;
    }
    fs::path root = argv[1];
    http_body_seeds(root / "http_body");
    webhook_seeds(root / "webhook");
    agent_session_seeds(root / "agent_session");
    return 0;
}
