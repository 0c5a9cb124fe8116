#!/usr/bin/env bash
# Failure detection: crash to the balancer's kernel table updated, through the whole control plane
# (the liveness monitors probe, the leader publishes in ZooKeeper, the lb-plugin applies nftables).
# Two kinds of trial, in one lab of 3 servers:
#   server   a server is crash-stopped; time until its address leaves the balancer's table
#   leader   the leading monitor's host and a server are crash-stopped at the same instant; the
#            follower must take over first (ZooKeeper session expiry) and then decide
# The table is polled in the balancer's namespace every few milliseconds (nft list, ~3 ms a call).
# Usage: bench/detection.sh [server-trials] [leader-trials]   (as root; writes bench/results/)
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER_TRIALS=${1:-20}
LEADER_TRIALS=${2:-5}
OUT=bench/results/detection-$(date -u +%Y%m%dT%H%M%SZ).txt
LAB=./trods
WORK=$(mktemp -d /tmp/trods-bench.XXXXXX)
trap '"$LAB" lab down >/dev/null; rm -rf "$WORK"' EXIT

now_ms() { date +%s%3N; }
percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {if (NR == 0) {print "-"; exit} i=int(NR*p/100+0.99); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }
# Not "nft list | grep -q": grep exits at the first match and, with pipefail, nft's SIGPIPE fails the pipe.
in_table() { local table; table=$(ip netns exec trods-balancer nft list table ip trods_balancer 2>/dev/null) || return 1; grep -qw "$1" <<<"$table"; }
addr() { echo "198.19.0.$((10 + ${1#server}))"; }
leader() { ./trods lab exec monitor1 -- curl -s -m 2 http://127.0.0.1:9103/actuator/pool 2>/dev/null | jq -r '.leader // empty' ||
           ./trods lab exec monitor2 -- curl -s -m 2 http://127.0.0.1:9103/actuator/pool 2>/dev/null | jq -r '.leader // empty'; }

wait_back() {
  local server=$1 deadline=$(( $(now_ms) + 60000 ))
  until in_table "$(addr "$server")"; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "$server did not return to the table" >&2; exit 1; }
    sleep 0.1
  done
}

# Crash $1 (and $2, a monitor host, at the same instant if given); print ms from the crash (the
# instant lab crash took the server's links down, which it prints) until $1 leaves the table.
crash_and_time() {
  local server=$1 monitor=${2:-} t0 t1 a
  a=$(addr "$server")
  "$LAB" lab crash "$server" $monitor >"$WORK/crash.out" &
  local started=$(now_ms)
  while in_table "$a"; do
    [ $(( $(now_ms) - started )) -lt 30000 ] || { echo "timeout"; wait; return; }
  done
  t1=$(now_ms)
  wait
  t0=$(grep -o 'epoch ms [0-9]*' "$WORK/crash.out" | head -1 | grep -o '[0-9]*$')
  echo $(( t1 - t0 ))
}

{
  echo "# bench/detection.sh $SERVER_TRIALS $LEADER_TRIALS on $(uname -r), $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
  echo "# monitor defaults: probe interval 50 ms, handshake timeout 150 ms, answer timeout 500 ms, fall 2; lab: 3 servers, 2 monitors"
  "$LAB" lab down >/dev/null
  "$LAB" lab up --servers 3 --rate none >/dev/null
  for ((i = 0; i < SERVER_TRIALS; i++)); do
    server=server$((i % 3 + 1))
    echo "server trial=$i crashed=$server crash->table=$(crash_and_time "$server")ms"
    "$LAB" lab revive "$server" >/dev/null
    wait_back "$server"
    sleep 1
  done
  for ((i = 0; i < LEADER_TRIALS; i++)); do
    server=server$((i % 3 + 1))
    lead=$(leader)
    [ -n "$lead" ] || { echo "no leader" >&2; exit 1; }
    echo "leader trial=$i crashed=$server+$lead crash->table=$(crash_and_time "$server" "$lead")ms"
    "$LAB" lab revive "$lead" >/dev/null
    "$LAB" lab revive "$server" >/dev/null
    wait_back "$server"
    sleep 1
  done
} | tee "$WORK/trials"
{
  cat "$WORK/trials"
  for kind in server leader; do
    vals=$(grep "^$kind " "$WORK/trials" | grep -o 'crash->table=[0-9]*ms' | grep -o '[0-9]*' || true)
    printf '%-7s crash->table p50 %s ms  p90 %s ms  p99 %s ms  max %s ms  (n=%s)\n' "$kind" \
      "$(percentile 50 <<<"$vals")" "$(percentile 90 <<<"$vals")" "$(percentile 99 <<<"$vals")" \
      "$(percentile 100 <<<"$vals")" "$(grep -c . <<<"$vals" || true)"
  done
} >"$OUT"
tail -2 "$OUT"
echo "written to $OUT"
