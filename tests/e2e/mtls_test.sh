#!/usr/bin/env bash
# Client certificates (hub --client-certs): an agent makes its own key, gets
# a certificate for it from the hub's CA at registration, stores it and
# presents it from its next connection on. The hub then refuses that agent's
# credential on any connection without its certificate, and a certificate
# naming another agent; a certificate from another CA fails the handshake.
# Browsers, droverctl and curl need no certificate.
source "$(dirname "$0")/lib.sh"

cert_bytes() { sql "$(cache_db "$1")" 'SELECT length(client_certificate) FROM identity'; }
has_cert() { [ "$(cert_bytes "$1")" -gt 0 ]; }
api_agent() { curl -sf --cacert "$T/hub/tls/ca.pem" -H "Authorization: Bearer $ADMIN" "$HUB_HTTPS/api/v1/agents/$1"; }
required() { api_agent "$1" | jq -e '.client_certificate_since != null' >/dev/null; }
sessions_of() { grep -c "session established" "$T/$1.log"; }
# copy_cache FROM TO: a consistent copy of an agent's cache (it runs in WAL mode).
copy_cache() { mkdir -p "$T/$2" && sql "$(cache_db "$1")" ".backup '$(cache_db "$2")'"; }

HUB_FLAGS="--client-certs --idle-timeout 2s"
start_hub
grep -q "issuing client certificates to agents" "$T/hub.log" || fail "the hub did not announce --client-certs"
REG=$(new_token)
start_agent a1 role=x
wait_for "a1 online" 15 is_online a1 true
wait_for "a1 stored its certificate" 15 has_cert a1
wait_for "the hub requires a1's certificate" 10 required a1
grep -q "agent a1 (127.0.0.1): issued a client certificate for key" "$T/hub.log" || fail "no issue logged"
A1_ID=$(agent_id_of a1)
# The certificate: for a1's id, by the hub's CA, for client authentication.
sql "$(cache_db a1)" "SELECT writefile('$T/a1.der', client_certificate) FROM identity" >/dev/null
openssl x509 -inform DER -in "$T/a1.der" -noout -subject | grep -q "CN *= *$A1_ID" || fail "certificate subject"
openssl x509 -inform DER -in "$T/a1.der" -out "$T/a1.pem"
openssl verify -CAfile "$T/hub/tls/ca.pem" -purpose sslclient "$T/a1.pem" >/dev/null || fail "certificate does not verify"
[ "$(sessions_of a1)" = 1 ] || fail "issuing the certificate interrupted a1's session"
[ "$(ctl -o json events --kind certificate | jq 'length')" = 1 ] || fail "no certificate event"
ctl agent a1 | grep -q "^mTLS: *client certificate required since" || fail "droverctl agent does not show it"
pass "an agent gets a certificate for its own key at registration, without a reconnect"

# Its next connection presents it: the hub requires it and lets it in.
stop_hub
restart_hub
wait_for "a1 back with its certificate" 15 is_online a1 true
[ "$(grep -c "asking the hub for a client certificate" "$T/a1.log")" = 1 ] || fail "a1 asked again"
[ "$(grep -c "issued a client certificate" "$T/hub.log")" = 1 ] || fail "the hub issued a second certificate"
pass "the agent presents its certificate on reconnect and is not issued another"

# A copied credential without the certificate is refused; a1 is undisturbed.
# (A copy of the whole cache carries the key too: see the README.)
before=$(sessions_of a1)
copy_cache a1 thief
sql "$(cache_db thief)" "UPDATE identity SET client_certificate = x'', client_key = x''"
start_agent thief role=x
wait_for "the thief refused" 15 grep -q "agent a1 was issued a client certificate and must present it" "$T/thief.log"
stop_agent thief
is_online a1 true || fail "a1 went offline"
[ "$(sessions_of a1)" = "$before" ] || fail "the thief's attempt replaced a1's session"
pass "a credential without its agent's certificate is refused"

# Another agent's certificate with a1's credential: the agent itself will not
# present it (the hub's own refusal of a certificate naming another agent is
# covered by hub/server/tests/client_certificate_test.cpp), and without it the
# hub refuses a1's credential.
start_agent a2 role=x
wait_for "a2 stored its certificate" 15 has_cert a2
copy_cache a1 thief2
sql "$(cache_db thief2)" "ATTACH '$(cache_db a2)' AS a2;
  UPDATE identity SET client_certificate = (SELECT client_certificate FROM a2.identity),
                      client_key = (SELECT client_key FROM a2.identity);"
start_agent thief2 role=x
wait_for "the borrowed certificate reported" 15 grep -q "not presenting the stored client certificate: it names \"$(agent_id_of a2)\", not this agent" "$T/thief2.log"
wait_for "the hub refuses it" 15 grep -q "must present it" "$T/thief2.log"
stop_agent thief2
pass "another agent's certificate is not presented, and the credential alone is refused"

# A stored certificate that does not go with the stored key is not presented,
# and the agent says why instead of failing in silence.
copy_cache a1 thief3
sql "$(cache_db thief3)" "ATTACH '$(cache_db a2)' AS a2;
  UPDATE identity SET client_key = (SELECT client_key FROM a2.identity);"
start_agent thief3 role=x
wait_for "the mismatch reported" 15 grep -q "not presenting the stored client certificate: it certifies another key" "$T/thief3.log"
wait_for "the hub refuses it" 15 grep -q "must present it" "$T/thief3.log"
stop_agent thief3
pass "a certificate that does not go with the stored key is reported, not presented"

# A certificate from another CA fails the TLS handshake; none at all is fine.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/rogue.key" -out "$T/rogue.pem" \
    -subj "/CN=$A1_ID" -days 2 2>/dev/null
if curl -sf --cacert "$T/hub/tls/ca.pem" --cert "$T/rogue.pem" --key "$T/rogue.key" "$HUB_HTTPS/healthz" >/dev/null; then
    fail "a certificate from another CA was accepted"
fi
grep -q "refusing a client certificate" "$T/hub.log" || fail "the refused certificate was not logged"
curl -sf --cacert "$T/hub/tls/ca.pem" "$HUB_HTTPS/healthz" >/dev/null || fail "a client without a certificate was refused"
ctl status >/dev/null || fail "droverctl needs no certificate"
pass "a certificate from another CA fails the handshake; clients without one are served"

# The certificate survives an agent restart; without --client-certs nothing is required.
before=$(sessions_of a1)
stop_agent a1
start_agent a1 role=x
wait_for "a1 back after its restart" 15 count_above "$T/a1.log" "session established" "$before"
stop_hub
HUB_FLAGS="--idle-timeout 2s"
restart_hub
wait_for "a1 online on a hub without --client-certs" 15 is_online a1 true
pass "the certificate survives a restart; a hub without --client-certs requires none"

set +e
out=$("$HUB_BIN" serve --data "$T/hub" --client-certs --insecure 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q -- "--client-certs needs TLS" <<<"$out" || fail "--client-certs --insecure: $rc $out"
pass "--client-certs without TLS is a usage error"
