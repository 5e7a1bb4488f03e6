#pragma once
// The agent's TLS client identity for hubs that issue client certificates
// (mTLS; proto/drover.proto, step 6): a P-256 key made on the device, whose
// private half never leaves it, and the certificate the hub's CA issued for
// its public half. Both travel and are stored as DER.
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::session {

struct ClientKey {
    std::string private_der;  // SEC1 ECPrivateKey (what OpenSSL loads as an EC key)
    std::string public_der;   // SubjectPublicKeyInfo, what the hub certifies
};

// A fresh ECDSA P-256 key from the OS random source.
ClientKey generate_client_key();
// The public half of a stored private key; an error when it is not one.
Result<std::string> client_public_key(std::string_view private_der);

// What the agent checks before it stores a certificate the hub issued, so
// that a bad one never stops it from reaching the hub: X.509 DER, for the
// agent's own key, subject CN = agent_id, usable for TLS client
// authentication, and signed by the hub CA the agent pins (ca_pem). Its
// validity period is not checked: the hub judges it by its own clock, and a
// device's clock may be anywhere.
Result<void> check_client_certificate(std::string_view certificate_der, std::string_view private_der,
                                      std::string_view agent_id, std::string_view ca_pem);

}  // namespace drover::session
