#include "proto/signing_key_chain.h"

#include <optional>

#include "common/text.h"

namespace drover {

std::string short_fingerprint(std::string_view fingerprint) { return hex_encode(fingerprint).substr(0, 12); }

SigningKeyLink endorse_signing_key(const SigningKey& previous, std::string new_public_pem) {
    std::string endorsement = previous.sign(signing_key_rotation_message(new_public_pem));
    return {std::move(new_public_pem), std::move(endorsement)};
}

namespace {

std::string link_name(size_t index, size_t links) { return cat("link ", index + 1, " of ", links); }

Result<VerifyKey> link_key(const SigningKeyChain& chain, size_t index) {
    auto key = VerifyKey::from_pem(chain[index].key_pem);
    if (!key) return fail(cat(link_name(index, chain.size()), " holds no usable key: ", key.error().message));
    return key;
}

Result<void> check_endorsement(const SigningKeyChain& chain, size_t index, const VerifyKey& previous,
                               const VerifyKey& key) {
    if (previous.verify(signing_key_rotation_message(chain[index].key_pem), chain[index].endorsement)) return {};
    return fail(cat("the endorsement of ", link_name(index, chain.size()), " (key ", short_fingerprint(key.fingerprint()),
                    ") does not verify against the key before it (", short_fingerprint(previous.fingerprint()), ")"));
}

}  // namespace

Result<void> verify_signing_key_chain(const SigningKeyChain& chain, std::string_view current_pem) {
    if (chain.empty()) return fail("the signing-key chain is empty");
    if (chain.size() > kMaxSigningKeyChain)
        return fail(cat("the signing-key chain has ", chain.size(), " links (limit ", kMaxSigningKeyChain, ")"));
    auto current = VerifyKey::from_pem(current_pem);
    if (!current) return fail(cat("the current signing key is unusable: ", current.error().message));
    if (!chain[0].endorsement.empty())
        return fail("link 1 carries an endorsement: the first link is the original key, which nothing endorses");
    auto previous = link_key(chain, 0);
    if (!previous) return std::unexpected(previous.error());
    for (size_t i = 1; i < chain.size(); ++i) {
        auto key = link_key(chain, i);
        if (!key) return std::unexpected(key.error());
        if (auto ok = check_endorsement(chain, i, *previous, *key); !ok) return ok;
        previous = std::move(key);
    }
    if (previous->fingerprint() != current->fingerprint())
        return fail(cat("the signing-key chain ends at key ", short_fingerprint(previous->fingerprint()),
                        ", not at the current key ", short_fingerprint(current->fingerprint())));
    return {};
}

Result<KeyRotation> trace_key_rotation(const SigningKeyChain& chain, std::string_view pinned_pem,
                                       std::string_view presented_pem) {
    auto presented = VerifyKey::from_pem(presented_pem);
    if (!presented) return fail(cat("the hub's spec-signing key is unusable: ", presented.error().message));
    auto pinned = VerifyKey::from_pem(pinned_pem);
    if (!pinned) return fail(cat("the pinned spec-signing key is unusable: ", pinned.error().message));
    if (pinned->fingerprint() == presented->fingerprint()) return KeyRotation{};
    std::string presented_id = short_fingerprint(presented->fingerprint());
    std::string pinned_id = short_fingerprint(pinned->fingerprint());
    if (chain.empty())
        return fail(cat("the hub presents key ", presented_id, ", not the pinned key ", pinned_id,
                        ", and no rotation chain"));
    if (chain.size() > kMaxSigningKeyChain)
        return fail(cat("the hub's signing-key chain has ", chain.size(), " links (limit ", kMaxSigningKeyChain, ")"));

    // Keys are parsed from the end back to the pinned key's last occurrence:
    // links before it are never needed, whatever they hold.
    std::vector<std::optional<VerifyKey>> keys(chain.size());
    auto last = link_key(chain, chain.size() - 1);
    if (!last || last->fingerprint() != presented->fingerprint())
        return fail(cat("the hub's signing-key chain does not end at the key it presents (", presented_id, ")"));
    keys.back() = std::move(*last);
    std::optional<size_t> at;
    for (size_t i = chain.size() - 1; i-- > 0;) {
        auto key = VerifyKey::from_pem(chain[i].key_pem);
        if (!key) continue;  // only matters if the walk passes it, checked below
        bool found = key->fingerprint() == pinned->fingerprint();
        keys[i] = std::move(*key);
        if (found) {
            at = i;
            break;
        }
    }
    if (!at)
        return fail(cat("the pinned key ", pinned_id, " is not in the hub's signing-key chain (", chain.size(),
                        " links): the hub's key ", presented_id, " was not rotated from it"));

    KeyRotation rotation;
    rotation.from.push_back(keys[*at]->fingerprint());
    for (size_t i = *at + 1; i < chain.size(); ++i) {
        if (!keys[i]) return std::unexpected(link_key(chain, i).error());
        if (auto ok = check_endorsement(chain, i, *keys[i - 1], *keys[i]); !ok) return std::unexpected(ok.error());
        if (i + 1 < chain.size()) rotation.from.push_back(keys[i]->fingerprint());
    }
    return rotation;
}

}  // namespace drover
