#include "agent/cache/identity_store.h"

#include "agent/cache/statement_reuse.h"

namespace drover::cache {

IdentityStore::IdentityStore(sql::Db& db)
    : db_(db),
      load_(db.prepare("SELECT agent_id, name, credential, signing_key_pem, hub_url, signing_key_rotated_from, "
                       "client_key, client_certificate FROM identity WHERE id = 1")),
      save_(db.prepare(
          "INSERT INTO identity(id, agent_id, name, credential, signing_key_pem, hub_url, signing_key_rotated_from, "
          "client_key, client_certificate) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT(id) DO UPDATE SET agent_id = excluded.agent_id, name = excluded.name, "
          "credential = excluded.credential, signing_key_pem = excluded.signing_key_pem, "
          "hub_url = excluded.hub_url, signing_key_rotated_from = excluded.signing_key_rotated_from, "
          "client_key = excluded.client_key, client_certificate = excluded.client_certificate")) {}

Identity IdentityStore::load() {
    Reuse s(load_);
    Identity id;
    if (s->step()) {
        id.agent_id = s->text(0);
        id.name = s->text(1);
        id.credential = s->text(2);
        id.signing_key_pem = s->text(3);
        id.hub_url = s->text(4);
        id.signing_key_rotated_from = s->text(5);
        id.client_key = s->blob(6);
        id.client_certificate = s->blob(7);
    }
    return id;
}

void IdentityStore::save(const Identity& id) {
    Reuse s(save_);
    s->bind(1, id.agent_id).bind(2, id.name).bind(3, id.credential).bind(4, id.signing_key_pem).bind(5, id.hub_url)
        .bind(6, id.signing_key_rotated_from).bind_blob(7, id.client_key).bind_blob(8, id.client_certificate);
    s->run();
}

}  // namespace drover::cache
