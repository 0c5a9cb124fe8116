#!/usr/bin/env bash
# Normal path, agent on versus off, in the same run on the same machine: time to first byte of a
# 1 KiB object on new connections (curl, sequential), requests/s of 1 KiB over keep-alive (wrk) and
# MB/s of the 64 MiB object (wrk), through the VIP, with the client's link not rate-limited; and
# requests/s of 1 KiB on new connections (wrk with "Connection: close": a handshake, a request and a
# teardown each). Every cluster is warmed up the same way before it is measured.
# Three clusters in turn: no TRODS (baseline), agents with the kernel's fast path (the default), and
# agents with every segment crossing to Java (--trods.agent.fast-path=false). "queued" counts the
# packets the servers' queue rules sent to the agents during the measurements.
# Usage: bench/normal-path.sh [ttfb-samples] [wrk-seconds]   (as root; writes bench/results/)
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLES=${1:-500}
SECONDS_WRK=${2:-8}
OUT=bench/results/normal-path-$(date -u +%Y%m%dT%H%M%SZ).txt
LAB=./trods

percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.5); if (i<1) i=1; printf "%.3f", a[i]*1000}'; }

# Packets the queue rules of every server sent to an agent so far (0 without agents).
queued() {
  local total=0 ns n
  for ns in $(ip netns list | awk '/^trods-server/ {print $1}'); do
    n=$(ip netns exec "$ns" iptables -w -t mangle -L -v -n -x 2>/dev/null | awk '/NFQUEUE/ {s += $1} END {print s + 0}')
    total=$((total + n))
  done
  echo "$total"
}

measure() {
  local mode=$1
  "$LAB" lab down >/dev/null
  case "$mode" in
    baseline) "$LAB" lab up --rate none --baseline >/dev/null ;;
    agent) "$LAB" lab up --rate none >/dev/null ;;
    agent-java) TRODS_LAB_AGENT_ARGS=--trods.agent.fast-path=false "$LAB" lab up --rate none >/dev/null ;;
  esac
  # Warm-up: JIT of the agents, nginx's open-file cache.
  "$LAB" lab exec client -- wrk -t2 -c16 -d3s http://198.18.0.10/obj/1K.bin >/dev/null
  "$LAB" lab exec client -- wrk -t2 -c4 -d2s http://198.18.0.10/obj/64M.bin >/dev/null
  # New connections too: the time-to-first-byte samples below are new connections, whose setup and
  # teardown code a keep-alive warm-up never runs (an agent's JIT would still be compiling them).
  "$LAB" lab exec client -- wrk -t2 -c8 -d5s -H 'Connection: close' http://198.18.0.10/obj/1K.bin >/dev/null
  local before
  before=$(queued)
  "$LAB" lab exec client -- bash -c "for i in \$(seq $SAMPLES); do curl -s -o /dev/null -w '%{time_starttransfer}\n' http://198.18.0.10/obj/1K.bin; done" >/tmp/ttfb.$mode
  local small fresh big
  small=$("$LAB" lab exec client -- wrk -t2 -c32 -d"${SECONDS_WRK}"s --latency http://198.18.0.10/obj/1K.bin)
  fresh=$("$LAB" lab exec client -- wrk -t2 -c8 -d"${SECONDS_WRK}"s -H 'Connection: close' http://198.18.0.10/obj/1K.bin)
  big=$("$LAB" lab exec client -- wrk -t2 -c4 -d"${SECONDS_WRK}"s http://198.18.0.10/obj/64M.bin)
  printf '%-10s ttfb p50 %s ms  p99 %s ms | 1K keep-alive %s req/s (wrk p50 %s) | 1K new connections %s req/s | 64M %s | queued %s\n' "$mode" \
    "$(percentile 50 </tmp/ttfb.$mode)" "$(percentile 99 </tmp/ttfb.$mode)" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$small")" "$(awk '$1 == "50%" {print $2}' <<<"$small")" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$fresh")" \
    "$(awk '/Transfer\/sec/ {print $2}' <<<"$big")" "$(( $(queued) - before ))"
}

{
  echo "# bench/normal-path.sh $SAMPLES $SECONDS_WRK on $(uname -r), $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
  measure baseline
  measure agent
  measure agent-java
} | tee "$OUT"
"$LAB" lab down >/dev/null
echo "written to $OUT"
