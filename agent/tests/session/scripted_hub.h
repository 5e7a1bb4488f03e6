#pragma once
// The hub's side of the protocol, as frames, for driving a Session in memory
// (and the fake hub server in hub_link_test): signs deployments, computes
// desired-set hashes, and cuts compressed content into chunks the way the
// hub does.
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/deflate.h"
#include "common/text.h"
#include "drover.pb.h"
#include "proto/desired_set.h"
#include "proto/frame.h"
#include "proto/signing_key_chain.h"
#include "proto/spec_signature.h"

namespace drover::testing {

struct Published {
    std::string bundle, revision, spec, digest, signature, compressed;
};

class ScriptedHub {
public:
    SigningKey key = *SigningKey::from_pem(generate_p256_key_pem());
    // What `drover-hub rotate-signing-key` leaves: empty until rotate().
    SigningKeyChain chain;

    // A new key, endorsed by the current one, as the hub's rotation does.
    void rotate() {
        if (chain.empty()) chain.push_back({key.public_pem(), ""});
        SigningKey next = *SigningKey::from_pem(generate_p256_key_pem());
        chain.push_back(endorse_signing_key(key, next.public_pem()));
        key = std::move(next);
    }

    Published publish(const std::string& bundle, const std::string& revision, const std::string& spec) const {
        Published p{bundle, revision, spec, sha256(spec), "", deflate_bytes(spec)};
        p.signature = key.sign(spec_signing_message(bundle, revision, p.digest));
        return p;
    }

    std::string key_id() const { return VerifyKey::from_pem(key.public_pem())->fingerprint(); }

    v1::Envelope welcome(const std::string& agent_id, const std::string& credential, uint64_t acked_seq = 0) const {
        v1::Envelope env;
        auto* w = env.mutable_welcome();
        w->set_agent_id(agent_id);
        w->set_name("edge-1");
        w->set_credential(credential);
        w->set_signing_key(key.public_pem());
        w->set_acked_seq(acked_seq);
        for (auto& link : chain) {
            auto* l = w->add_signing_key_chain();
            l->set_key(link.key_pem);
            l->set_endorsement(link.endorsement);
        }
        return env;
    }

    // Hashed with this hub's key, as the hub does (proto/desired_set.h).
    v1::Envelope desired(const std::vector<Published>& bundles) const {
        v1::Envelope env;
        auto* d = env.mutable_desired();
        std::vector<DesiredEntry> entries;
        for (auto& p : bundles) {
            auto* dep = d->add_bundles();
            dep->set_bundle(p.bundle);
            dep->set_revision(p.revision);
            dep->set_digest(p.digest);
            dep->set_signature(p.signature);
            dep->set_size(p.compressed.size());
            entries.push_back({p.bundle, p.revision, p.digest});
        }
        d->set_hash(desired_set_hash(entries, key_id()));
        return env;
    }

    // The hub's answer to Fetch{digest, offset}.
    static std::vector<v1::Envelope> chunks(const Published& p, uint64_t offset) {
        std::vector<v1::Envelope> out;
        do {
            v1::Envelope env;
            auto* c = env.mutable_chunk();
            c->set_digest(p.digest);
            c->set_offset(offset);
            c->set_data(p.compressed.substr(offset, wire::kChunkSize));
            offset += c->data().size();
            c->set_last(offset >= p.compressed.size());
            c->set_total(p.compressed.size());
            out.push_back(env);
        } while (offset < p.compressed.size());
        return out;
    }

    static v1::Envelope ack(uint64_t up_to) {
        v1::Envelope env;
        env.mutable_ack()->set_up_to_seq(up_to);
        return env;
    }
};

// Content that deflate cannot shrink much: n random bytes, hex-encoded.
inline std::string bulky_spec(size_t n) { return "{\"pad\":\"" + hex_encode(random_bytes(n)) + "\"}"; }

}  // namespace drover::testing
