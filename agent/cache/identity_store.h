#pragma once
// Who this agent is to the hub: the id and credential issued at
// registration, the name the hub registered, the hub's spec-signing public
// key pinned on first Welcome (and the keys it was rotated from), and the
// hub URL it registered with, and its TLS client key and certificate.
#include <string>

#include "common/sqlite.h"

namespace drover::cache {

struct Identity {
    std::string agent_id;
    std::string name;
    std::string credential;
    std::string signing_key_pem;  // empty until pinned
    std::string hub_url;
    // Hex fingerprints (VerifyKey::fingerprint()) of the keys the pinned key
    // was rotated from, each through a verified endorsement, space-separated
    // (agent/session/session.h, pin_signing_key). "" for a key pinned
    // directly.
    std::string signing_key_rotated_from;
    // mTLS (agent/session/client_certificate.h), DER: the key made for the
    // hub to certify, and the certificate once issued. Empty until then.
    std::string client_key;
    std::string client_certificate;

    bool registered() const { return !agent_id.empty() && !credential.empty(); }
};

class IdentityStore {
public:
    explicit IdentityStore(sql::Db& db);
    Identity load();
    // Replaces the whole identity (one row). Joins the caller's transaction.
    void save(const Identity& identity);

private:
    sql::Db& db_;
    sql::Stmt load_, save_;
};

}  // namespace drover::cache
