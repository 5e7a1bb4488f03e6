#!/usr/bin/env bash
# /metrics and /readyz on a running hub with two agents: every scrape must
# be valid Prometheus text (a strict line parser below), the gauges follow the
# fleet (registered, connected, bundle states), the link counts frames and
# bytes, git pushes are counted and timed, and the endpoint takes the admin
# or a viewer token only.
source "$(dirname "$0")/lib.sh"

# check_exposition FILE: the text exposition format 0.0.4 as Prometheus reads
# it. Every line a HELP, a TYPE or a sample; HELP then TYPE once per family,
# before its samples; samples named after the family they follow (histograms:
# _bucket/_sum/_count); buckets cumulative, ending with le="+Inf" == _count.
check_exposition() {
    awk '
    function bad(why) { printf "line %d: %s: %s\n", NR, why, $0; failed = 1; exit 1 }
    BEGIN {
        name = "[a-zA-Z_:][a-zA-Z0-9_:]*"
        lval = "\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
        labels = "\\{[a-zA-Z_][a-zA-Z0-9_]*=" lval "(,[a-zA-Z_][a-zA-Z0-9_]*=" lval ")*\\}"
        value = "(NaN|[+-]Inf|[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?)"
        sample_re = "^" name "(" labels ")? " value "$"
    }
    /^# HELP / {
        if ($3 !~ "^" name "$") bad("bad family name")
        if ($3 in help) bad("second HELP")
        help[$3] = 1; last_help = $3; next
    }
    /^# TYPE / {
        if ($3 != last_help) bad("TYPE not right after its HELP")
        if ($3 in type) bad("second TYPE")
        if (NF != 4 || $4 !~ /^(counter|gauge|histogram)$/) bad("bad TYPE")
        type[$3] = $4; family = $3; next
    }
    /^#/ { bad("unexpected comment") }
    {
        if ($0 !~ sample_re) bad("not a sample line")
        metric = $1; sub(/\{.*/, "", metric)
        if (family == "") bad("sample before any TYPE")
        if (type[family] == "histogram") {
            if (metric == family "_bucket") {
                series = $1; le = series
                sub(/.*le="/, "", le); sub(/".*/, "", le)
                sub(/,?le="[^"]*"/, "", series); sub(/_bucket/, "", series)
                if ((series in cum) && $2 + 0 < cum[series]) bad("bucket counts are not cumulative")
                cum[series] = $2 + 0; last_le[series] = le
            } else if (metric == family "_count") {
                series = $1; sub(/_count/, "", series); sub(/\{\}$/, "", series)
                key = series; if (!(key in last_le)) { key = series "{}" }
                if (!(key in last_le)) bad("_count without buckets")
                if (last_le[key] != "+Inf") bad("buckets do not end with le=\"+Inf\"")
                if ($2 + 0 != cum[key]) bad("le=\"+Inf\" differs from _count")
            } else if (metric != family "_sum") bad("sample outside its histogram family")
        } else if (metric != family) bad("sample outside its family")
    }
    END { if (!failed && NR == 0) { print "empty scrape"; exit 1 } }
    ' "$1"
}

CURL=(curl -sS --cacert "$T/hub/tls/ca.pem")
# scrape: /metrics with the admin token into $T/metrics.txt, checked.
scrape() {
    "${CURL[@]}" -f -H "Authorization: Bearer $ADMIN" "$HUB_HTTPS/metrics" > "$T/metrics.txt" || return 1
    if ! check_exposition "$T/metrics.txt"; then
        cp "$T/metrics.txt" "$T/bad-metrics.log"
        fail "invalid exposition (see bad-metrics.log)"
    fi
}
# metric SAMPLE: the value of one sample, e.g. metric 'drover_agent_bundles{state="Ready"}'.
metric() { awk -v s="$1" '$1 == s { print $2 }' "$T/metrics.txt"; }
# metric_is SAMPLE VALUE: scrape and compare (for wait_for).
metric_is() { scrape && [ "$(metric "$1")" = "$2" ]; }
positive() { awk -v v="$(metric "$1")" 'BEGIN { exit !(v + 0 > 0) }' || fail "$1 is '$(metric "$1")', want > 0"; }
expect() { [ "$(metric "$1")" = "$2" ] || fail "$1 is '$(metric "$1")', want $2"; }

start_hub
[ "$("${CURL[@]}" "$HUB_HTTPS/readyz")" = ready ] || fail "/readyz of a fresh hub: $("${CURL[@]}" "$HUB_HTTPS/readyz")"
pass "/readyz answers ready without a token"

code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$HUB_HTTPS/metrics")
[ "$code" = 401 ] || fail "/metrics without a token: HTTP $code, want 401"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer drv_viewer_wrong" "$HUB_HTTPS/metrics")
[ "$code" = 401 ] || fail "/metrics with a wrong token: HTTP $code, want 401"
PUSH=$(ctl token create --push)
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $PUSH" "$HUB_HTTPS/metrics")
[ "$code" = 403 ] || fail "/metrics with a push token: HTTP $code, want 403"
VIEWER=$(ctl token create --viewer)
type=$("${CURL[@]}" -f -o /dev/null -w '%{content_type}' -H "Authorization: Bearer $VIEWER" "$HUB_HTTPS/metrics") ||
    fail "/metrics with a viewer token failed"
[ "$type" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "/metrics content type: '$type'"
pass "/metrics: 401 without or with a wrong token, 403 for a push token, 200 text format for a viewer"

scrape
expect drover_agents_registered 0
expect drover_deployed_bundles 0
expect 'drover_pushes_total{result="accepted"}' 0
expect drover_push_duration_seconds_count 0
expect "drover_build_info{version=\"$("$HUB_BIN" --version | awk '{print $2}')\"}" 1
positive process_start_time_seconds
positive drover_store_bytes
positive process_open_fds
positive process_max_fds

REG=$(new_token)
start_agent edge-1 role=gw
start_agent edge-2 role=gw
wait_for "2 agents connected in /metrics" 15 metric_is drover_agents_connected 2
expect drover_agents_registered 2
expect drover_sessions_opened_total 2
pass "agents registered and connected: 2"

# A push over the hub's Git remote: counted, timed, and the agents converge.
clone_http fleet "$ADMIN"
write_app_bundle
hub_git -C "$T/fleet" add -A
hub_git -C "$T/fleet" commit -q -m "app bundle"
out=$(hub_git -C "$T/fleet" push origin HEAD:main 2>&1) || fail "push: $out"
wait_for "app Ready on both agents in /metrics" 20 metric_is 'drover_agent_bundles{state="Ready"}' 2
for state in NotReady Failed Modified OutOfSync Pending; do expect "drover_agent_bundles{state=\"$state\"}" 0; done
expect drover_deployed_bundles 1
expect 'drover_pushes_total{result="accepted"}' 1
expect 'drover_pushes_total{result="rejected"}' 0
expect drover_push_duration_seconds_count 1
expect drover_push_validation_duration_seconds_count 1
expect 'drover_push_duration_seconds_bucket{le="+Inf"}' 1
positive drover_push_duration_seconds_sum
positive drover_render_duration_seconds_count
pass "the push is counted and timed; both agents Ready"

for m in drover_frames_received_total drover_frames_sent_total drover_bytes_received_total drover_bytes_sent_total; do
    positive "$m"
done
# Agents send Hello and statuses; the hub sends Welcome, the desired state and content.
awk -v r="$(metric drover_frames_received_total)" 'BEGIN { exit !(r >= 4) }' ||
    fail "drover_frames_received_total $(metric drover_frames_received_total), want >= 4 (2 hellos, 2 statuses)"
pass "frames and bytes are counted on the agent link"

# A push the hub refuses.
printf 'targets: [{selector: {matchExpressions: [{key: role, operator: Inn, values: [gw]}]}}]\n' \
    > "$T/fleet/app/bundle.yaml"
hub_git -C "$T/fleet" commit -q -am "broken selector"
hub_git -C "$T/fleet" push origin HEAD:main > "$T/refused.out" 2>&1 && fail "a push with an invalid bundle was accepted"
scrape
expect 'drover_pushes_total{result="rejected"}' 1
expect drover_push_duration_seconds_count 2
expect drover_push_validation_duration_seconds_count 2
pass "a refused push is counted as rejected"

stop_agent edge-2
wait_for "connected drops to 1" 15 metric_is drover_agents_connected 1
expect drover_agents_registered 2
expect drover_sessions_closed_total 1
# edge-2 counts with its last report (Ready) while it is away.
expect 'drover_agent_bundles{state="Ready"}' 2
pass "a stopped agent leaves drover_agents_connected at 1"

[ "$("${CURL[@]}" "$HUB_HTTPS/readyz")" = ready ] || fail "/readyz after the pushes"
[ "$("${CURL[@]}" "$HUB_HTTPS/healthz")" = ok ] || fail "/healthz"
stop_hub
restart_hub
wait_for "/readyz after a restart with a deployed revision" 15 \
    bash -c "[ \"\$(curl -sS --cacert '$T/hub/tls/ca.pem' '$HUB_HTTPS/readyz')\" = ready ]"
pass "/readyz is ready again once the restarted hub has loaded its revision"
