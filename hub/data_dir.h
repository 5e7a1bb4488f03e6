#pragma once
// The hub's data directory, as `drover-hub init` makes it:
//   fleet.git/            bare Git repository, deploy branch `main`
//   hub.db                the SQLite store
//   tls/ca.pem            CA certificate agents pin (ca-key.pem beside it)
//   tls/server.pem        server certificate (server-key.pem beside it)
//   keys/signing.pem      ECDSA P-256 spec-signing key (signing.pub.pem beside it)
//   keys/signing-chain.json  the spec-signing keys' public history, written by
//                         `drover-hub rotate-signing-key` (hub/signing_keys.h);
//                         absent until the first rotation
//   admin.token           the admin API token (0600); only its hash is in hub.db
#include <string>
#include <vector>

#include "common/error.h"

namespace drover::hub {

struct DataDir {
    std::string root;
    std::string repo() const { return root + "/fleet.git"; }
    std::string store() const { return root + "/hub.db"; }
    std::string ca_cert() const { return root + "/tls/ca.pem"; }
    std::string ca_key() const { return root + "/tls/ca-key.pem"; }
    std::string server_cert() const { return root + "/tls/server.pem"; }
    std::string server_key() const { return root + "/tls/server-key.pem"; }
    std::string signing_key() const { return root + "/keys/signing.pem"; }
    std::string signing_pub() const { return root + "/keys/signing.pub.pem"; }
    std::string signing_chain() const { return root + "/keys/signing-chain.json"; }
    // A rotation's new private key before it replaces signing.pem.
    std::string signing_key_next() const { return root + "/keys/signing.next.pem"; }
    std::string admin_token() const { return root + "/admin.token"; }
};

struct InitReport {
    std::string admin_token;
};

// Refuses a directory that already holds a hub: nothing existing is overwritten.
Result<InitReport> init_data_dir(const DataDir& dir, const std::vector<std::string>& hostnames);

// Holds when dir looks like what init_data_dir made (its store and its
// spec-signing key exist); the error says what is missing.
Result<void> check_hub_data_dir(const DataDir& dir);

}  // namespace drover::hub
