#include "hub/signing_keys.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/crypto.h"
#include "common/fs.h"
#include "common/text.h"

namespace drover::hub {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxKeyFile = 64 * 1024;
constexpr size_t kMaxChainFile = 1 << 20;  // 256 links are ~70 KB

Result<SigningKey> read_private_key(const std::string& path) {
    auto pem = read_file(path, kMaxKeyFile);
    if (!pem) return std::unexpected(pem.error());
    auto key = SigningKey::from_pem(*pem);
    if (!key) return fail(cat(path, ": ", key.error().message));
    return key;
}

std::string fingerprint_of(std::string_view public_pem) {
    auto key = VerifyKey::from_pem(public_pem);
    return key ? key->fingerprint() : std::string();
}

}  // namespace

std::string signing_key_chain_json(const SigningKeyChain& chain) {
    json links = json::array();
    for (auto& link : chain) links.push_back({{"key", link.key_pem}, {"endorsement", base64_encode(link.endorsement)}});
    return links.dump(2) + "\n";
}

Result<SigningKeyChain> parse_signing_key_chain_json(std::string_view text) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) return fail("not valid JSON");
    if (!doc.is_array()) return fail("expected a JSON array of {\"key\", \"endorsement\"} links");
    SigningKeyChain chain;
    for (size_t i = 0; i < doc.size(); ++i) {
        const json& link = doc[i];
        auto key = link.is_object() ? link.find("key") : link.end();
        if (!link.is_object() || key == link.end() || !key->is_string())
            return fail(cat("link ", i + 1, " has no \"key\" string"));
        std::string endorsement;
        if (auto e = link.find("endorsement"); e != link.end()) {
            if (!e->is_string()) return fail(cat("link ", i + 1, ": \"endorsement\" is not a string"));
            auto der = base64_decode(e->get<std::string>());
            if (!der) return fail(cat("link ", i + 1, ": \"endorsement\" is not base64"));
            endorsement = std::move(*der);
        }
        chain.push_back({key->get<std::string>(), std::move(endorsement)});
    }
    return chain;
}

Result<SigningKeys> load_signing_keys(const DataDir& dir) {
    if (auto ok = check_hub_data_dir(dir); !ok) return std::unexpected(ok.error());
    auto key = read_private_key(dir.signing_key());
    if (!key) return std::unexpected(key.error());

    SigningKeyChain chain;
    if (path_exists(dir.signing_chain())) {
        auto text = read_file(dir.signing_chain(), kMaxChainFile);
        if (!text) return std::unexpected(text.error());
        auto parsed = parse_signing_key_chain_json(*text);
        if (!parsed) return fail(cat(dir.signing_chain(), ": ", parsed.error().message));
        chain = std::move(*parsed);
    } else {
        chain.push_back({key->public_pem(), ""});
    }

    std::string repaired;
    std::string chain_end = chain.empty() ? std::string() : fingerprint_of(chain.back().key_pem);
    if (path_exists(dir.signing_key_next())) {
        auto next = read_private_key(dir.signing_key_next());
        if (next && !chain_end.empty() && fingerprint_of(next->public_pem()) == chain_end &&
            chain_end != fingerprint_of(key->public_pem())) {
            // Crashed after the commit point: finish the rotation.
            if (auto ok = rename_durably(dir.signing_key_next(), dir.signing_key()); !ok)
                return std::unexpected(ok.error());
            key = std::move(next);
            repaired = cat("finished an interrupted key rotation: ", dir.signing_key(), " is now key ",
                           short_fingerprint(chain_end));
        } else if (chain_end == fingerprint_of(key->public_pem())) {
            // Crashed before the commit point: nothing endorsed this key.
            if (::unlink(dir.signing_key_next().c_str()) != 0)
                return fail(cat("cannot remove ", dir.signing_key_next(), ": ", std::strerror(errno)));
            repaired = cat("removed ", dir.signing_key_next(), " (left by a key rotation that did not finish)");
        }
    }

    std::string public_pem = key->public_pem();
    std::string current = fingerprint_of(public_pem);
    if (!chain_end.empty() && chain_end != current)
        return fail(cat(dir.signing_chain(), " ends at key ", short_fingerprint(chain_end), " but ", dir.signing_key(),
                        " is key ", short_fingerprint(current), "; restore the two files that belong together"));
    if (auto ok = verify_signing_key_chain(chain, public_pem); !ok)
        return fail(cat(dir.signing_chain(), ": ", ok.error().message));

    auto on_disk = read_file(dir.signing_pub(), kMaxKeyFile);
    if (!on_disk || fingerprint_of(*on_disk) != fingerprint_of(public_pem)) {
        if (auto ok = write_file_atomic(dir.signing_pub(), public_pem, 0644); !ok) return std::unexpected(ok.error());
        if (repaired.empty()) repaired = cat("rewrote ", dir.signing_pub(), " from ", dir.signing_key());
    }
    return SigningKeys{std::move(*key), std::move(public_pem), std::move(chain), std::move(repaired)};
}

Result<RotationReport> rotate_signing_key(const DataDir& dir) {
    auto keys = load_signing_keys(dir);
    if (!keys) return std::unexpected(keys.error());
    if (keys->chain.size() >= kMaxSigningKeyChain)
        return fail(cat("the signing-key chain already has ", keys->chain.size(), " links (limit ",
                        kMaxSigningKeyChain, "): agents cannot follow a longer one; re-provision them instead"));

    std::string next_pem = generate_p256_key_pem();
    auto next = SigningKey::from_pem(next_pem);
    if (!next) return std::unexpected(next.error());
    std::string next_public = next->public_pem();
    SigningKeyChain chain = keys->chain;
    chain.push_back(endorse_signing_key(keys->key, next_public));
    if (auto ok = verify_signing_key_chain(chain, next_public); !ok)
        return fail(cat("the extended chain does not verify: ", ok.error().message));

    // The steps and why they are crash-safe: signing_keys.h.
    if (auto ok = write_file_atomic(dir.signing_key_next(), next_pem, 0600); !ok) return std::unexpected(ok.error());
    if (auto ok = write_file_atomic(dir.signing_chain(), signing_key_chain_json(chain), 0644); !ok)
        return std::unexpected(ok.error());
    if (auto ok = rename_durably(dir.signing_key_next(), dir.signing_key()); !ok) return std::unexpected(ok.error());
    if (auto ok = write_file_atomic(dir.signing_pub(), next_public, 0644); !ok) return std::unexpected(ok.error());

    return RotationReport{short_fingerprint(fingerprint_of(keys->public_pem)),
                          short_fingerprint(fingerprint_of(next_public)), chain.size()};
}

}  // namespace drover::hub
