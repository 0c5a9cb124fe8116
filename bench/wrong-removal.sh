#!/usr/bin/env bash
# A live server wrongly taken out of the balancer, under load: 3 servers, client link 400 Mbit/s,
# DOWNLOADS downloads of 16 MiB through the VIP at once; 3 s in, one server (server1, server2, ...
# in turn) drops its monitors' probes for 1.2 s, so the monitors take it out and put it back
# while it keeps serving. Its flows move to the survivors, which take them over. In NAT the client
# resets the old server's connections when their stray segments reach it (from the server's own
# address); in direct routing they come from the VIP, with the bytes the survivor sends at the same
# sequence numbers (not captured). Counted per trial: downloads that failed or whose bytes differ from the object (expected 0), recoveries, and the monitors'
# removals (a trial whose removal count is not 1 had a false failover of its own, from load).
# Usage: [BENCH_BALANCER=ipvs [BENCH_FORWARDING=dr]] bench/wrong-removal.sh [trials] [downloads]
#   (as root; writes bench/results/; the balancer as in recovery-latency.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS=${1:-6}
DOWNLOADS=${2:-50}
BALANCER=${BENCH_BALANCER:-nftables}
FORWARDING=${BENCH_FORWARDING:-nat}
OUT=bench/results/wrong-removal-$([ "$BALANCER" = nftables ] || echo "$BALANCER-")$([ "$FORWARDING" = nat ] || echo "$FORWARDING-")$(date -u +%Y%m%dT%H%M%SZ).txt
LAB=./trods
OBJECT=/obj/16M.bin
SHA=$(awk -v o="${OBJECT##*/}" '$2 == o {print $1}' lab/docroot.sha256)
trap '"$LAB" lab down >/dev/null' EXIT

# DOWNLOADS curls at once from the client; prints how many failed or differ, and the first few.
downloads() {
  "$LAB" lab exec client -- bash -c '
    d=$(mktemp -d); n=$1; url=$2; want=$3
    for i in $(seq 1 "$n"); do
      (curl -sS -o "$d/b$i" "$url" 2>"$d/e$i"; echo $? >"$d/rc$i") &
    done
    wait
    bad=0; first=""
    for i in $(seq 1 "$n"); do
      rc=$(cat "$d/rc$i"); sum=$(sha256sum <"$d/b$i" | cut -d" " -f1)
      if [ "$rc" != 0 ] || [ "$sum" != "$want" ]; then
        bad=$((bad + 1)); first="$first [curl $rc after $(stat -c %s "$d/b$i") B: $(tr -d "\n" <"$d/e$i")]"
      fi
    done
    rm -rf "$d"
    echo "lost $bad of $n$first"' _ "$DOWNLOADS" "http://198.18.0.10$OBJECT" "$SHA"
}

count() { cat "$@" 2>/dev/null | grep -c "$PATTERN" || true; }

{
  echo "# BENCH_BALANCER=$BALANCER BENCH_FORWARDING=$FORWARDING bench/wrong-removal.sh $TRIALS $DOWNLOADS on $(uname -r), $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
  "$LAB" lab down >/dev/null
  "$LAB" lab up --servers 3 --rate 400mbit --balancer "$BALANCER" --forwarding "$FORWARDING" >/dev/null
  for t in $(seq 1 "$TRIALS"); do
    victim=server$(( (t - 1) % 3 + 1 ))
    PATTERN="decision web/.* REMOVE"; removals=$(count /run/trods-lab/monitor*/monitor.log)
    PATTERN="recovering "; recoveries=$(count /run/trods-lab/server*/agent.log)
    downloads >"/tmp/wrong-removal.$$" &
    pid=$!
    sleep 3
    "$LAB" lab exec "$victim" -- bash -c 'for m in 198.19.0.3 198.19.0.4; do
        iptables -I INPUT -p tcp --dport 80 -s "$m" -j DROP; done; sleep 1.2; iptables -F INPUT'
    wait "$pid"
    PATTERN="decision web/.* REMOVE"; before=$removals; removals=$(( $(count /run/trods-lab/monitor*/monitor.log) - removals ))
    PATTERN="recovering "; recoveries=$(( $(count /run/trods-lab/server*/agent.log) - recoveries ))
    why=$(cat /run/trods-lab/monitor*/monitor.log | grep "decision web/.* REMOVE" | tail -n +$((before + 1)) |
      sed -E 's/.*decision web\/([a-z0-9]+) REMOVE: /\1: /' | paste -sd ';' -)
    echo "trial $t, $victim wrongly out: $(cat "/tmp/wrong-removal.$$"); recoveries $recoveries; removals $removals ($why)"
  done
  rm -f "/tmp/wrong-removal.$$"
} | tee "$OUT"
echo "written to $OUT"
