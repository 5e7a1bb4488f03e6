#pragma once
// An in-memory hub for session and API tests: a temporary SQLite store, a
// signing key, a Fleet on a fake clock and a Deployment rendered from files.
// The store lives in /dev/shm when there is one: tests that register
// thousands of agents commit thousands of transactions, and an fsync on a
// disk costs milliseconds that say nothing about the hub.
#include <unistd.h>

#include <doctest/doctest.h>

#include "common/crypto.h"
#include "common/text.h"
#include "hub/server/agent_session.h"
#include "hub/server/deployment.h"
#include "hub/server/tests/memory_transport.h"
#include "hub/store/sqlite_store.h"
#include "proto/frame.h"

namespace drover::hub::testing {

inline const render::FileMap kFleetFiles = {
    {"web/bundle.yaml", "namespace: web\ntargets: [{selector: {matchLabels: {role: gw}}}]\n"},
    {"web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n"},
};

struct Hub {
    std::string path;
    std::unique_ptr<SqliteStore> store;
    SigningKey key = *SigningKey::from_pem(generate_p256_key_pem());
    int64_t now = 1'000'000;
    std::unique_ptr<Fleet> fleet;

    Hub() {
        char name[] = "/dev/shm/drover-hub-test-XXXXXX";
        char fallback[] = "/tmp/drover-hub-test-XXXXXX";
        char* chosen = name;
        int fd = mkstemp(name);
        if (fd < 0) fd = mkstemp(chosen = fallback);
        REQUIRE(fd >= 0);
        close(fd);
        unlink(chosen);
        path = chosen;
        store = std::move(*SqliteStore::open(path));
        fleet = std::make_unique<Fleet>(*store, key.public_pem(), [this] { return now; });
        deploy(kFleetFiles, "1111111111111111111111111111111111111111");
    }
    ~Hub() {
        fleet.reset();
        store.reset();
        for (auto suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
    }
    void deploy(const render::FileMap& files, const std::string& commit) {
        auto d = build_deployment(commit, files, key);
        REQUIRE(d);
        fleet->deploy(*d);
    }
    // A status for "web" in the given state, in sync with the deployment.
    StatusBatch web_status(const AgentRecord& agent, const std::string& state) const {
        StatusRecord st;
        st.bundle = "web";
        st.seq = 1;
        st.state = state;
        st.revision = fleet->deployment()->commit;
        st.digest = hex_encode(fleet->deployment()->desired_digest("web", agent.effective_labels(), agent.name));
        return {agent.id, {st}, 1};
    }
    std::string token(std::optional<int64_t> uses = std::nullopt) {
        std::string secret = random_token("drv_reg_");
        store->add_token({.id = random_token("tok_", 4), .uses_left = uses, .created_ms = now}, sha256_hex(secret));
        return secret;
    }
};

inline std::string hello_frame(const std::string& name, const Labels& labels, const std::string& token,
                               const std::string& id = "", const std::string& credential = "",
                               const std::string& desired_hash = "") {
    v1::Envelope env;
    auto* h = env.mutable_hello();
    h->set_protocol(wire::kProtocolVersion);
    h->set_name(name);
    h->set_registration_token(token);
    h->set_agent_id(id);
    h->set_credential(credential);
    h->set_desired_hash(desired_hash);
    h->mutable_labels()->insert(labels.begin(), labels.end());
    return wire::encode(env);
}

}  // namespace drover::hub::testing
