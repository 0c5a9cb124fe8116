#!/usr/bin/env bash
# A/B of two agent settings on the normal path, alternating, in fresh labs (links not rate-limited):
# time to first byte of 1 KiB on new connections (curl, sequential), 1 KiB requests/s on new
# connections and over keep-alive (wrk). Alternating A, B, A, B... spreads this machine's drift over
# both. Each lab is warmed up the same way before it is measured.
# Usage: bench/ab-agent-args.sh "ARGS A" "ARGS B" [rounds] [ttfb-samples] [wrk-seconds]
#   e.g. bench/ab-agent-args.sh "" "--trods.agent.handshake-log-group=-1" 3
# (as root; writes bench/results/ab-agent-args-*.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1?"usage: $0 'ARGS A' 'ARGS B' [rounds] [ttfb-samples] [wrk-seconds]"}
B=${2?"usage: $0 'ARGS A' 'ARGS B' [rounds] [ttfb-samples] [wrk-seconds]"}
ROUNDS=${3:-3}
SAMPLES=${4:-400}
SECONDS_WRK=${5:-6}
OUT=bench/results/ab-agent-args-$(date -u +%Y%m%dT%H%M%SZ).txt
LAB=./trods

percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.5); if (i<1) i=1; printf "%.3f", a[i]*1000}'; }

measure() {
  local name=$1 args=$2
  "$LAB" lab down >/dev/null
  TRODS_LAB_AGENT_ARGS="$args" "$LAB" lab up --rate none >/dev/null
  "$LAB" lab exec client -- wrk -t2 -c16 -d3s http://198.18.0.10/obj/1K.bin >/dev/null
  "$LAB" lab exec client -- wrk -t2 -c8 -d5s -H 'Connection: close' http://198.18.0.10/obj/1K.bin >/dev/null
  "$LAB" lab exec client -- bash -c "for i in \$(seq $SAMPLES); do curl -s -o /dev/null -w '%{time_starttransfer}\n' http://198.18.0.10/obj/1K.bin; done" >/tmp/ab-ttfb
  local fresh small
  fresh=$("$LAB" lab exec client -- wrk -t2 -c8 -d"${SECONDS_WRK}"s -H 'Connection: close' http://198.18.0.10/obj/1K.bin)
  small=$("$LAB" lab exec client -- wrk -t2 -c32 -d"${SECONDS_WRK}"s http://198.18.0.10/obj/1K.bin)
  printf '%-2s ttfb p50 %s ms  p99 %s ms | 1K new connections %s req/s | 1K keep-alive %s req/s\n' "$name" \
    "$(percentile 50 </tmp/ab-ttfb)" "$(percentile 99 </tmp/ab-ttfb)" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$fresh")" "$(awk '/Requests\/sec/ {print $2}' <<<"$small")"
}

{
  echo "# bench/ab-agent-args.sh '$A' '$B' $ROUNDS $SAMPLES $SECONDS_WRK on $(uname -r), $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
  echo "# A: ${A:-(defaults)}"
  echo "# B: ${B:-(defaults)}"
  for round in $(seq "$ROUNDS"); do
    measure A "$A"
    measure B "$B"
  done
} | tee "$OUT"
"$LAB" lab down >/dev/null
echo "written to $OUT"
