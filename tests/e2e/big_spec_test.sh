#!/usr/bin/env bash
# A spec of more than 50 MiB end to end: a ConfigMap carrying 52 MiB of
# base64 text (hardly compressible) is pushed, rendered and streamed in
# chunks; the hub dies in the middle of the download and comes back; the
# agent resumes from the last byte it stored (not from 0), checks the digest
# and applies exactly the pushed data. Also prints the processes' peak RSS.
source "$(dirname "$0")/lib.sh"

PARTS=${BIG_SPEC_PARTS:-52}  # one MiB of base64 text each

start_hub
REG=$(new_token)
start_agent edge1 role=gateway
wait_for "edge1 online" 15 online_is 1

clone_fleet
mkdir -p "$T/fleet/big" "$T/parts"
cat > "$T/fleet/big/bundle.yaml" <<'YAML'
namespace: big
targets:
  - selector: {matchLabels: {role: gateway}}
YAML
# Literal block scalars, as files embedded in a ConfigMap are usually written.
# Each value is exactly the text of one part file (base64 ends its output
# with a newline, a '|' block keeps one).
{
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big-data}\ndata:\n'
    for i in $(seq -w 1 "$PARTS"); do
        head -c 786432 /dev/urandom | base64 -w 76 > "$T/parts/part$i"
        printf '  part%s: |\n' "$i"
        sed 's/^/    /' "$T/parts/part$i"
    done
} > "$T/fleet/big/data.yaml"
size=$(stat -c %s "$T/fleet/big/data.yaml")
[ "$size" -gt $((50 << 20)) ] || fail "the generated ConfigMap is only $size bytes"
want=$(cat "$T/parts"/part* | sha256sum | cut -d' ' -f1)

push_started=$SECONDS
C1=$(push_fleet "a ConfigMap of $((size >> 20)) MiB")

# The agent stores received bytes in pieces of 1 MiB; once one is there,
# freeze the hub so the download is certainly unfinished, then kill it.
CACHE=$(cache_db edge1)
partial_rows() { [ "$(sql "$CACHE" 'SELECT count(*) FROM partial')" -gt 0 ]; }
wait_for "the download to start" 60 partial_rows
kill -STOP "$HUB_PID"
[ "$(sql "$CACHE" 'SELECT count(*) FROM content')" = 0 ] || fail "the download finished before the hub was stopped"
kill9_hub
restart_hub_ready

# The agent stored what it had received when its session ended, and asks
# the new hub for the rest only.
resume_line() { grep -oE "resuming the download of spec [0-9a-f]+ from byte [0-9]+" "$T/edge1.log" | tail -n 1; }
wait_for "edge1 to resume its download" 60 resume_line
from=$(resume_line | sed 's/.* //')
total=$(sql "$CACHE" "SELECT size FROM desired WHERE bundle = 'big'")
[ "$from" -gt 0 ] && [ "$from" -lt "$total" ] || fail "resumed from byte $from of $total"
pass "the hub died mid-download; the agent resumed from byte $from of $total"
wait_for "big Ready on edge1" 90 is_state edge1 big Ready
! grep -q "fetching from 0" "$T/edge1.log" || fail "the agent restarted the download from 0"
pass "converged $((SECONDS - push_started)) s after the push"

file="$T/edge1/out/big/configmap.big.big-data.json"
[ -f "$file" ] || fail "no $file"
got=$(jq -j '.data | to_entries | sort_by(.key) | .[].value' "$file" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the applied ConfigMap's data differs from what was pushed"
[ "$(sql "$CACHE" 'SELECT count(*) FROM partial')" = 0 ] || fail "partial pieces left after the download"
pass "the applied ConfigMap holds exactly the $PARTS MiB pushed"

peak_kib() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
echo "peak RSS: hub $(($(peak_kib "$HUB_PID") >> 10)) MiB (since its restart), agent $(($(peak_kib "$PID_edge1") >> 10)) MiB"
