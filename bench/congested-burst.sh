#!/usr/bin/env bash
# A congested burst without any failure: FLOWS downloads of 64 MiB through the VIP at once, over a
# client link limited to 100 Mbit/s, each held mid-stream (256 KiB read, then the client's window
# full), then all resumed together for 1 MiB more, every byte compared with the object. Baseline
# (no TRODS) and agents alternate, each on a fresh lab, ROUNDS times, two bursts per lab.
# What it shows: whether the agents slow a congested normal path down (the first phase, reaching
# the hold; the second, the resumed MiB: the median connection, the 90th percentile and the
# last), and how TCP fared, from nstat in the namespaces: segments received and queued out of
# order by the client, retransmitted and timed out by the servers.
# nginx closes a connection whose send buffer does not drain for 60 s (send_timeout): a first
# phase longer than that fails the downloads held first.
# CC, if given, is the congestion control the lab's hosts use (the host's default while the bench
# runs: new namespaces inherit it; restored at the end). Measured: with bbr, this machine's default,
# the agents' first phase sometimes stalled (single flows whose bandwidth estimate collapsed);
# with cubic it did not.
# Usage: bench/congested-burst.sh [flows] [rounds] [cc]   (as root; writes bench/results/)
set -euo pipefail
cd "$(dirname "$0")/.."
FLOWS=${1:-100}
ROUNDS=${2:-3}
CC=${3:-}
CC_BEFORE=$(sysctl -n net.ipv4.tcp_congestion_control)
OUT=bench/results/congested-burst-$(date -u +%Y%m%dT%H%M%SZ).txt
LAB=./trods
WORK=$(mktemp -d /tmp/trods-bench.XXXXXX)
CLIENT_PID=""
trap '[ -z "$CLIENT_PID" ] || kill "$CLIENT_PID" 2>/dev/null; "$LAB" lab down >/dev/null; rm -rf "$WORK"
  sysctl -qw net.ipv4.tcp_congestion_control="$CC_BEFORE"' EXIT
[ -z "$CC" ] || sysctl -qw net.ipv4.tcp_congestion_control="$CC"
OBJECT=/obj/64M.bin
COUNTERS="TcpInSegs TcpOutSegs TcpRetransSegs TcpExtTCPOFOQueue TcpExtTCPTimeouts TcpExtTCPFastRetrans"

# "HOST COUNTER VALUE" lines, absolute (nstat's history file is shared between namespaces).
counters() {
  local h
  for h in client $("$LAB" lab pool); do
    "$LAB" lab exec "$h" -- nstat -az $COUNTERS 2>/dev/null | awk -v h="$h" 'NR > 1 {print h, $1, $2}'
  done
}

burst() {
  local dir=$WORK/$1
  mkdir -p "$dir"
  counters >"$dir/before"
  "$LAB" lab exec client -- python3 lab/tools/many-downloads.py 198.18.0.10 "$OBJECT" \
    "/var/lib/trods/lab-docroot$OBJECT" "$dir" "$FLOWS" 262144 1048576 120 262144 &
  CLIENT_PID=$!
  until [ -s "$dir/ready" ] || ! kill -0 "$CLIENT_PID" 2>/dev/null; do sleep 0.1; done
  touch "$dir/go"
  wait "$CLIENT_PID" || true
  CLIENT_PID=""
  counters >"$dir/after"
  printf '%s %s | tcp: %s\n' "$(jq -c '{ok, downloads, heldAfter, resumed: {last: .seconds, p50: .finished.p50, p90: .finished.p90},
      failed: [.failed[:3][] | "\(.server) port \(.port): \(.error) (\(.body) bytes)"]}' "$dir/result" 2>/dev/null || echo 'no result')" \
    "$(cut -d' ' -f2- "$dir/ready" 2>/dev/null || true)" \
    "$(awk 'NR == FNR {b[$1" "$2] = $3; next} {d = $3 - b[$1" "$2]; if (d) o[$1] = o[$1] " " $2 "=" d} END {for (h in o) print h ":" o[h]}' \
      "$dir/before" "$dir/after" | sed 's/TcpExt//g' | sort | paste -sd ';' -)"
}

{
  echo "# bench/congested-burst.sh $FLOWS $ROUNDS on $(uname -r), $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)," \
    "congestion control $(sysctl -n net.ipv4.tcp_congestion_control)"
  for ((r = 1; r <= ROUNDS; r++)); do
    for mode in baseline agents; do
      "$LAB" lab down >/dev/null
      if [ "$mode" = baseline ]; then "$LAB" lab up --rate 100mbit --baseline >/dev/null; else "$LAB" lab up --rate 100mbit >/dev/null; fi
      for b in 1 2; do echo "$mode round $r burst $b: $(burst "$mode-$r-$b")"; done
    done
  done
} | tee "$OUT"
echo "written to $OUT"
