#pragma once
// A hub for the fuzz targets: an SQLite store copied from a template, a
// Fleet on a fixed clock, the revision rendered from kFuzzFleetFiles
// deployed, and an admin, a viewer and an unlimited registration token with
// known secrets (so seeds can authenticate). A new FuzzHub per input keeps
// runs independent of each other; the signing key, the deployment and the
// template store are made once per process, because they dominate the cost.
//
// The idea of hub/server/tests/session_fixture.h without doctest: fuzz
// targets must not depend on a test framework's runtime.
#include <google/protobuf/stubs/common.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/log.h"
#include "hub/server/agent_session.h"
#include "hub/server/deployment.h"
#include "hub/server/fleet.h"
#include "hub/server/tests/memory_transport.h"
#include "hub/store/sqlite_store.h"
#include "proto/frame.h"
#include "proto/spec_signature.h"

namespace drover::fuzz {

inline constexpr const char* kAdminToken = "drv_admin_fuzz";
inline constexpr const char* kRegistrationToken = "drv_reg_fuzz";
inline constexpr const char* kViewerToken = "drv_view_fuzz";

inline const render::FileMap kFuzzFleetFiles = {
    {"fleet.yaml", "groups:\n  gateways: {matchLabels: {role: gw}}\n"},
    {"web/bundle.yaml",
     "namespace: web\ntargets: [{group: gateways}, {selector: {matchLabels: {site: lab}}}]\n"
     "customizations:\n- name: lab\n  selector: {matchLabels: {site: lab}}\n  images: {nginx: 'nginx:1.27'}\n"},
    {"web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n"},
    {"web/deploy.yaml",
     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
     "      containers: [{name: web, image: nginx}]\n"},
    {"infra/bundle.yaml", "targets: [{selector: {matchExpressions: [{key: role, operator: Exists}]}}]\n"},
    {"infra/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: infra}\n"},
};

// A property a fuzz target checks does not hold, or its setup failed: abort,
// so the fuzzer keeps the input and a broken harness never passes for a
// clean run.
[[noreturn]] inline void fail_run(const std::string& what) {
    std::fprintf(stderr, "fuzz: %s\n", what.c_str());
    std::abort();
}

struct FuzzSigning {
    SigningKey key;
    std::shared_ptr<const hub::Deployment> deployment;
};

inline const FuzzSigning& fuzz_signing() {
    static const FuzzSigning signing = [] {
        // Info lines per input would drown the fuzzer's output and slow it.
        log::set_level(log::Level::error);
        // So does protobuf's complaint about every non-UTF-8 string field.
        google::protobuf::SetLogHandler(nullptr);
        auto key = SigningKey::from_pem(generate_p256_key_pem());
        if (!key) fail_run("cannot make a signing key");
        auto d = hub::build_deployment("1111111111111111111111111111111111111111", kFuzzFleetFiles, *key);
        if (!d) fail_run("the fuzz fleet files do not render");
        return FuzzSigning{std::move(*key), *d};
    }();
    return signing;
}

using MemoryTransport = hub::testing::MemoryTransport;

// The store every hub starts from: migrated, with the tokens and the admin
// token set. Creating the schema costs milliseconds; copying the file of a
// migrated store costs microseconds, and fuzzing speed is runs per second.
// Files live on /dev/shm (memory) when it exists and are removed at exit.
class StoreTemplate {
public:
    std::string template_path, work_path;

    StoreTemplate() {
        std::string dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
        std::string base = dir + "/drover-fuzz-" + std::to_string(getpid());
        template_path = base + "-template.db";
        work_path = base + ".db";
        remove_files();
        auto store = hub::SqliteStore::open(template_path);
        if (!store) fail_run(store.error().message);
        (*store)->set_setting("admin_token_sha256", sha256_hex(kAdminToken));
        (*store)->add_token({.id = "tok_fuzzreg", .labels = {{"site", "lab"}}, .created_ms = kStartMs},
                            sha256_hex(kRegistrationToken));
        (*store)->add_token({.id = "tok_fuzzview", .created_ms = kStartMs, .kind = hub::TokenKind::viewer},
                            sha256_hex(kViewerToken));
        // Closing the last connection checkpoints the WAL into the file.
    }
    ~StoreTemplate() { remove_files(); }

    static constexpr int64_t kStartMs = 1'000'000;

    // A fresh copy of the template at work_path.
    void copy() const {
        for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(work_path + suffix);
        std::error_code ec;
        std::filesystem::copy_file(template_path, work_path, std::filesystem::copy_options::overwrite_existing, ec);
        if (ec) fail_run("cannot copy the template store: " + ec.message());
    }

private:
    void remove_files() const {
        for (const auto& p : {template_path, work_path})
            for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
    }
};

inline const StoreTemplate& store_template() {
    static const StoreTemplate t;
    return t;
}

// The CA that issues client certificates (the hub runs with --client-certs,
// so CertificateRequest and ClientCertificateStored are live paths).
inline const pki::ClientCertificateIssuer& fuzz_client_ca() {
    static const pki::ClientCertificateIssuer ca = [] {
        auto made = pki::create_ca("drover fuzz CA");
        auto issuer = made ? pki::ClientCertificateIssuer::load(*made) : std::unexpected(made.error());
        if (!issuer) fail_run(issuer.error().message);
        return *issuer;
    }();
    return ca;
}

// A hub as a fresh process would have it: a store from the template, the
// revision deployed, no agents online. One at a time per process.
struct FuzzHub {
    std::unique_ptr<hub::SqliteStore> store;
    int64_t now = StoreTemplate::kStartMs;
    std::unique_ptr<hub::Fleet> fleet;

    FuzzHub() {
        const auto& signing = fuzz_signing();
        const auto& files = store_template();
        files.copy();
        auto opened = hub::SqliteStore::open(files.work_path);
        if (!opened) fail_run(opened.error().message);
        store = std::move(*opened);
        fleet = std::make_unique<hub::Fleet>(*store, signing.key.public_pem(), [this] { return now; });
        fleet->deploy(signing.deployment);
        fleet->set_client_ca(fuzz_client_ca());
    }
    FuzzHub(const FuzzHub&) = delete;
    FuzzHub& operator=(const FuzzHub&) = delete;
    ~FuzzHub() {
        fleet.reset();
        store.reset();
    }
};

}  // namespace drover::fuzz
