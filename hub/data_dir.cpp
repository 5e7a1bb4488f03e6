#include "hub/data_dir.h"


#include "common/crypto.h"
#include "common/fs.h"
#include "common/text.h"
#include "hub/git/repository.h"
#include "hub/pki/certificates.h"
#include "hub/store/sqlite_store.h"
#include "proto/spec_signature.h"

namespace drover::hub {

Result<InitReport> init_data_dir(const DataDir& dir, const std::vector<std::string>& hostnames) {
    if (path_exists(dir.store()) || path_exists(dir.repo()))
        return fail(cat(dir.root, " already holds a hub (", path_exists(dir.store()) ? dir.store() : dir.repo(),
                        " exists); refusing to overwrite it"));
    for (auto sub : {"", "/tls", "/keys"})
        if (auto ok = make_dirs(dir.root + sub, 0700); !ok) return std::unexpected(ok.error());

    auto ca = pki::create_ca("drover hub CA", 3650);
    if (!ca) return std::unexpected(ca.error());
    auto server = pki::issue_server_certificate(*ca, hostnames, 730);
    if (!server) return std::unexpected(server.error());
    std::string signing = generate_p256_key_pem();
    auto signing_key = SigningKey::from_pem(signing);
    if (!signing_key) return std::unexpected(signing_key.error());

    struct File {
        std::string path, data;
        unsigned mode;
    };
    std::string admin = random_token("drv_admin_", 24);
    for (auto& f : std::vector<File>{{dir.ca_cert(), ca->cert_pem, 0644},
                                     {dir.ca_key(), ca->key_pem, 0600},
                                     {dir.server_cert(), server->cert_pem, 0644},
                                     {dir.server_key(), server->key_pem, 0600},
                                     {dir.signing_key(), signing, 0600},
                                     {dir.signing_pub(), signing_key->public_pem(), 0644},
                                     {dir.admin_token(), admin + "\n", 0600}})
        if (auto ok = write_file_atomic(f.path, f.data, f.mode); !ok) return std::unexpected(ok.error());

    if (auto ok = git::init_bare(dir.repo(), "main"); !ok) return std::unexpected(ok.error());
    auto store = SqliteStore::open(dir.store());
    if (!store) return std::unexpected(store.error());
    (*store)->set_setting("admin_token_sha256", sha256_hex(admin));
    return InitReport{admin};
}

Result<void> check_hub_data_dir(const DataDir& dir) {
    for (auto& path : {dir.store(), dir.signing_key()})
        if (!path_exists(path))
            return fail(cat(dir.root, " is not a hub data directory (", path,
                            " is missing; drover-hub init --data DIR makes one)"));
    return {};
}

}  // namespace drover::hub
