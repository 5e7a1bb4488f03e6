// Fuzz target: the agent's side of the hub link, agent/session/session.h
// (and the ContentFetch under it), over a real cache (SQLite, in memory,
// emptied between inputs): the hub is the untrusted party here.
//
// Input (agent_session_script.h): [setup] then steps
// [op][length: 2 bytes, big-endian][length bytes], at most kMaxSteps.
//   setup: kRegistered, kPinned, kCachedState bits (see the header)
//   op % 4 == 0  frame: the bytes arrive as one frame from the hub
//                (wire::decode, as HubLink does). A frame that does not
//                decode, an error from on_frame or the hub's Close ends
//                the session, and the agent reconnects: a new Session over
//                the same cache says Hello.
//             1  statuses: the reconciler appends (first byte % 100, 1 if
//                no bytes) statuses to the outbox and pokes the session
//             2  reconnect: the link breaks, the agent reconnects
//             3  drop: what the reconciler does when a cached entry fails
//                verification, then pokes the session. First byte even:
//                the content of desired entry (byte / 2) % n is dropped;
//                odd (or no bytes): the set's hash is forgotten.
// Beyond "no crash, no leak, no UB" it checks:
//  - every frame the agent sends is a Hello, Fetch or Status that decodes
//    again once encoded, at most kMaxInFlight + 2 per step (bounded output);
//  - statuses go out in increasing seq within a session, above the seq the
//    Welcome said the hub has;
//  - after the run, read back from the cache: every desired entry's
//    signature verifies against the pinned key (with kPinned, still
//    kSeedHubKeyPem's, or kSeedRotatedKeyPem's through the rotation the
//    seeds carry), and the set's hash matches its entries and that key
//    unless forgotten; every content row hashes to its digest, is desired and
//    within kMaxSpecBytes; partial downloads are desired, contiguous and
//    within kMaxCompressedSpecBytes (no growth without bound); and no
//    status was deleted that the hub cannot have stored (never sent, and
//    above every acked_seq a Welcome announced).
#include <google/protobuf/stubs/common.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cache/cache.h"
#include "agent/session/content_fetch.h"
#include "agent/session/session.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/text.h"
#include "fuzz/agent_session_script.h"
#include "proto/desired_set.h"
#include "proto/frame.h"
#include "proto/spec_signature.h"

using namespace drover;

namespace {

constexpr size_t kMaxSteps = 256;
constexpr size_t kMaxFramesPerStep = session::kMaxInFlight + 2;

[[noreturn]] void broken(const std::string& what) {
    std::fprintf(stderr, "agent_session_fuzz: %s\n", what.c_str());
    std::abort();
}

struct HubKey {
    SigningKey key;
    std::string public_pem;
    std::string fingerprint, rotated_fingerprint;  // of kSeedHubKeyPem, kSeedRotatedKeyPem
};

std::string fingerprint_of(const SigningKey& key) {
    auto verify = VerifyKey::from_pem(key.public_pem());
    if (!verify) broken("a seed key has no usable public key: " + verify.error().message);
    return verify->fingerprint();
}

const HubKey& hub_key() {
    static const HubKey k = [] {
        // Lines per input would drown the fuzzer's output and slow it.
        log::set_level(log::Level::error);
        google::protobuf::SetLogHandler(nullptr);
        auto key = SigningKey::from_pem(fuzz::kSeedHubKeyPem);
        auto rotated = SigningKey::from_pem(fuzz::kSeedRotatedKeyPem);
        if (!key || !rotated) broken("the seed hub keys do not load");
        std::string pem = key->public_pem(), fingerprint = fingerprint_of(*key);
        return HubKey{std::move(*key), std::move(pem), std::move(fingerprint), fingerprint_of(*rotated)};
    }();
    return k;
}

// What kCachedState puts in the cache, signed once per process.
struct CachedState {
    fuzz::EarlierRun run;
    cache::DesiredSet desired;
};

cache::Deployment signed_deployment(const fuzz::SeedSpec& s) {
    return {s.bundle, s.revision, s.digest, hub_key().key.sign(spec_signing_message(s.bundle, s.revision, s.digest)),
            s.compressed.size()};
}

const CachedState& cached_state() {
    static const CachedState state = [] {
        CachedState c;
        const auto& run = c.run;
        std::vector<DesiredEntry> entries = {{run.cached.bundle, run.cached.revision, run.cached.digest},
                                             {run.half.bundle, run.half.revision, run.half.digest}};
        c.desired = {desired_set_hash(entries, hub_key().fingerprint),
                     {signed_deployment(run.cached), signed_deployment(run.half)}};
        return c;
    }();
    return state;
}

// One in-memory cache per process, emptied before each input: opening one
// (schema migrations, dozens of prepared statements) costs more than most
// inputs. Every table is emptied, sqlite_sequence included, so each input
// starts from a new cache's state.
cache::Cache& empty_cache() {
    static const std::unique_ptr<cache::Cache> cache = [] {
        auto opened = cache::Cache::open(":memory:", sql::Durability::normal);
        if (!opened) broken("cannot open a cache: " + opened.error().message);
        return std::move(*opened);
    }();
    std::vector<std::string> tables;
    auto list = cache->db().prepare("SELECT name FROM sqlite_master WHERE type = 'table'");
    while (list.step()) tables.push_back(list.text(0));
    for (const auto& table : tables) cache->db().exec("DELETE FROM \"" + table + "\"");
    return *cache;
}

// One fuzz input: the cache, the current session, and what the hub was sent.
class Run {
public:
    explicit Run(uint8_t setup) : pinned_(setup & (fuzz::kPinned | fuzz::kCachedState)), cache_(&empty_cache()) {
        config_.name = "edge-fuzz";
        config_.registration_token = "drv_reg_fuzz";
        config_.labels = {{"role", "gateway"}};
        config_.facts = {{"arch", "x86_64"}};
        config_.hub_url = "wss://hub.invalid:8443/v1/agent";
        if (setup & fuzz::kRegistered)
            cache_->identity().save({fuzz::kAgentId, "edge-fuzz", "cred_fuzz", "", config_.hub_url});
        if (pinned_) {
            if (auto ok = session::pin_signing_key(*cache_, hub_key().public_pem); !ok) broken(ok.error().message);
        }
        if (setup & fuzz::kCachedState) {
            const auto& run = cached_state().run;
            cache_->desired().replace(cached_state().desired);
            cache_->content().complete(run.cached.digest, run.cached.spec);
            auto ok = cache_->content().append_partial(run.half.digest, 0, run.half.compressed.substr(0, run.half_stored));
            if (!ok) broken(ok.error().message);
        }
        connect();
    }

    ~Run() { session_.reset(); }

    void step(uint8_t op, std::string_view bytes) {
        sent_this_step_ = 0;
        switch (static_cast<fuzz::Op>(op % fuzz::kOps)) {
            case fuzz::Op::frame: frame(bytes); break;
            case fuzz::Op::statuses: {
                int n = bytes.empty() ? 1 : static_cast<uint8_t>(bytes[0]) % 100;
                for (int i = 0; i < n; ++i) {
                    cache::Status st;
                    st.bundle = cat("b", i % 7);
                    st.state = v1::READY;
                    st.time_unix_ms = 1'000'000 + i;
                    appended_.insert(cache_->outbox().append(st));
                }
                session_->pump();
                break;
            }
            case fuzz::Op::reconnect: connect(); break;
            case fuzz::Op::reconciler_drops: {
                auto desired = cache_->desired().load();
                uint8_t b = bytes.empty() ? 1 : static_cast<uint8_t>(bytes[0]);
                if (b % 2 == 0 && !desired.bundles.empty())
                    cache_->content().drop(desired.bundles[(b / 2) % desired.bundles.size()].digest);
                else
                    cache_->desired().forget_hash();
                session_->pump();
                break;
            }
        }
        if (sent_this_step_ > kMaxFramesPerStep)
            broken(cat("the agent sent ", sent_this_step_, " frames in one step"));
    }

    // Reads the cache back; see the header comment.
    void check_cache() {
        session_.reset();  // stores what the download in progress received
        auto identity = cache_->identity().load();
        auto key = VerifyKey::from_pem(identity.signing_key_pem);
        if (pinned_ && (!key || (key->fingerprint() != hub_key().fingerprint &&
                                 key->fingerprint() != hub_key().rotated_fingerprint)))
            broken("the key pinned before the first session was replaced by one it did not endorse");
        auto desired = cache_->desired().load();
        std::set<std::string> digests;
        if (!desired.bundles.empty()) {
            if (!key) broken("desired entries are stored but no usable key is pinned");
            std::vector<DesiredEntry> entries;
            for (const auto& d : desired.bundles) {
                if (!key->verify(spec_signing_message(d.bundle, d.revision, d.digest), d.signature))
                    broken("a stored desired entry does not verify against the pinned key: " + d.bundle);
                entries.push_back({d.bundle, d.revision, d.digest});
                digests.insert(d.digest);
            }
            if (!desired.hash.empty() && desired.hash != desired_set_hash(entries, key->fingerprint()))
                broken("the stored desired-set hash does not match its entries");
        }
        auto content = cache_->db().prepare("SELECT digest, spec FROM content");
        while (content.step()) {
            std::string digest = content.blob(0), spec = content.blob(1);
            if (!digests.count(digest)) broken("content is stored for a digest that is not desired");
            if (sha256(spec) != digest) broken("stored content does not hash to its digest");
            if (spec.size() > session::kMaxSpecBytes) broken("stored content exceeds kMaxSpecBytes");
        }
        auto partial = cache_->db().prepare("SELECT digest, offset, length(data) FROM partial ORDER BY digest, offset");
        std::string last_digest;
        int64_t end = 0;
        while (partial.step()) {
            std::string digest = partial.blob(0);
            if (!digests.count(digest)) broken("a partial download is kept for a digest that is not desired");
            if (digest != last_digest) end = 0;
            if (partial.int64(1) != end) broken("a partial download has a gap or an overlap");
            end += partial.int64(2);
            if (static_cast<uint64_t>(end) > session::kMaxCompressedSpecBytes)
                broken("a partial download exceeds kMaxCompressedSpecBytes");
            last_digest = digest;
        }
        std::set<int64_t> kept;
        auto outbox = cache_->db().prepare("SELECT seq FROM outbox");
        while (outbox.step()) kept.insert(outbox.int64(0));
        for (int64_t seq : appended_)
            if (!sent_.count(seq) && seq > max_welcome_acked_ && !kept.count(seq))
                broken(cat("status ", seq, " was deleted though the hub cannot have stored it"));
        for (int64_t seq : kept)
            if (!appended_.count(seq)) broken(cat("the outbox holds status ", seq, " that nobody appended"));
    }

private:
    void connect() {
        session_.reset();
        welcome_acked_ = 0;
        last_sent_seq_ = 0;
        session_ = std::make_unique<session::Session>(
            *cache_, config_, [this](const v1::Envelope& e) { on_sent(e); }, [] {});
        session_->start();
    }

    void frame(std::string_view bytes) {
        auto env = wire::decode(bytes);
        if (!env) return connect();
        bool was_welcomed = session_->welcomed();
        // A Welcome sends the outbox from above its acked_seq.
        if (!was_welcomed && env->has_welcome())
            welcome_acked_ = static_cast<int64_t>(std::min<uint64_t>(env->welcome().acked_seq(), INT64_MAX));
        auto handled = session_->on_frame(*env);
        if (!was_welcomed && session_->welcomed())
            max_welcome_acked_ = std::max(max_welcome_acked_, welcome_acked_);  // rows up to it may be gone
        if (!handled) {
            if (handled.error().message.empty()) broken("on_frame failed without a reason");
            return connect();
        }
        if (session_->closed_by_hub()) connect();
    }

    void on_sent(const v1::Envelope& e) {
        ++sent_this_step_;
        if (!wire::decode(wire::encode(e))) broken("the agent sent a frame that does not decode");
        switch (e.msg_case()) {
            case v1::Envelope::kHello:
            case v1::Envelope::kFetch: break;
            case v1::Envelope::kStatus: {
                auto seq = static_cast<int64_t>(e.status().seq());
                if (!session_->welcomed()) broken("the agent sent a status before the Welcome");
                if (seq <= welcome_acked_) broken(cat("status ", seq, " sent though the hub has up to ", welcome_acked_));
                if (seq <= last_sent_seq_) broken(cat("status ", seq, " sent after ", last_sent_seq_));
                sent_.insert(seq);
                last_sent_seq_ = seq;
                break;
            }
            default: broken(cat("the agent sent a ", wire::message_name(e), " frame"));
        }
    }

    bool pinned_;
    cache::Cache* cache_;
    session::SessionConfig config_;
    std::unique_ptr<session::Session> session_;
    size_t sent_this_step_ = 0;
    std::set<int64_t> appended_, sent_;
    int64_t max_welcome_acked_ = 0;
    int64_t welcome_acked_ = 0;   // of this session's Welcome
    int64_t last_sent_seq_ = 0;   // in this session
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (input.empty()) return 0;
    hub_key();
    Run run(static_cast<uint8_t>(input[0]));
    input.remove_prefix(1);
    for (size_t step = 0; step < kMaxSteps && input.size() >= 3; ++step) {
        uint8_t op = static_cast<uint8_t>(input[0]);
        size_t len = (static_cast<uint8_t>(input[1]) << 8) | static_cast<uint8_t>(input[2]);
        input.remove_prefix(3);
        std::string_view bytes = input.substr(0, len);
        input.remove_prefix(bytes.size());
        run.step(op, bytes);
    }
    run.check_cache();
    return 0;
}
