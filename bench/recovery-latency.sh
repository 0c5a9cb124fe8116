#!/usr/bin/env bash
# Recovery latency: a 64 MiB download through the VIP (client link 80 Mbit/s, 3 servers), its server
# crash-stopped at a point spread over the download; the liveness monitors detect it and the lb-plugin
# takes it out of the balancer (nothing is done by hand). With prompting (the surviving agents prompt
# the failed server's clients on the monitors' decision) and without (a lab whose agents do not
# prompt: recovery waits for the clients' own retransmissions). Measured per trial: crash -> the survivor's agent starts the recovery (its log),
# and crash -> the client receives bytes again after a pause (its file, polled every 10 ms; bytes
# already on the wire at the crash can hide a short pause, then no resume time is counted).
# Usage: [BENCH_BALANCER=ipvs [BENCH_FORWARDING=dr]] bench/recovery-latency.sh [trials-per-mode]
#   (as root; writes bench/results/)
#   BENCH_BALANCER: the lab's balancer, nftables (default) or ipvs (the real IPVS director guest)
#   BENCH_FORWARDING: nat (default) or dr (direct routing, with ipvs only)
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS=${1:-8}
BALANCER=${BENCH_BALANCER:-nftables}
FORWARDING=${BENCH_FORWARDING:-nat}
OUT=bench/results/recovery-latency-$([ "$BALANCER" = nftables ] || echo "$BALANCER-")$([ "$FORWARDING" = nat ] || echo "$FORWARDING-")$(date -u +%Y%m%dT%H%M%SZ).txt
LAB=./trods
WORK=$(mktemp -d /tmp/trods-bench.XXXXXX)
trap '"$LAB" lab down >/dev/null; rm -rf "$WORK"' EXIT

now_ms() { date +%s%3N; }
percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {if (NR == 0) {print "-"; exit} i=int(NR*p/100+0.99); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }

trial() {
  local mode=$1 fraction=$2 body=$WORK/body headers=$WORK/headers size=67108864 server t0 at port line t_rec b last t_last t_res=""
  rm -f "$body" "$headers"
  "$LAB" lab exec client -- curl -s -D "$headers" -o "$body" http://198.18.0.10/obj/64M.bin &
  local curl=$!
  while [ "$(stat -c %s "$body" 2>/dev/null || echo 0)" -lt $((size * fraction / 100)) ]; do sleep 0.01; done
  server=$(awk 'tolower($1) == "x-served-by:" {print $2}' "$headers" | tr -d '\r')
  port=$("$LAB" lab exec client -- ss -tnH state established "( dport = :80 )" | awk '{print $3}' | head -1 | cut -d: -f2)
  t0=$(now_ms)
  "$LAB" lab crash "$server" >/dev/null
  last=$(stat -c %s "$body"); t_last=$t0
  while kill -0 "$curl" 2>/dev/null; do
    b=$(stat -c %s "$body")
    if [ "$b" -gt "$last" ]; then
      [ -n "$t_res" ] || [ $(( $(now_ms) - t_last )) -lt 100 ] || t_res=$(( $(now_ms) - t0 ))
      last=$b; t_last=$(now_ms)
    fi
    sleep 0.01
  done
  wait "$curl" || { echo "$mode $fraction% download FAILED" >&2; }
  line=$(grep -h "recovering 198.18.0.2:$port->" /run/trods-lab/server*/agent.log | tail -1 || true)
  t_rec=-
  [ -z "$line" ] || t_rec=$(( $(date -d "$(awk '{print $1}' <<<"$line")" +%s%3N) - t0 ))
  echo "$mode fraction=$fraction% server=$server crash->recovery=${t_rec}ms crash->resumed=${t_res:--}ms sha=$(sha256sum "$body" | cut -c1-12)"
  "$LAB" lab revive "$server" >/dev/null
  # Back in the balancer's table once the monitors see it up again.
  local deadline=$(( $(now_ms) + 30000 ))
  until grep -qx "$server" <<<"$("$LAB" lab pool)"; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "$server did not return to the pool" >&2; exit 1; }
    sleep 0.1
  done
}

{
  echo "# BENCH_BALANCER=$BALANCER BENCH_FORWARDING=$FORWARDING bench/recovery-latency.sh $TRIALS on $(uname -r), $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
  for mode in prompt noprompt; do
    "$LAB" lab down >/dev/null
    if [ "$mode" = prompt ]; then
      "$LAB" lab up --servers 3 --rate 80mbit --balancer "$BALANCER" --forwarding "$FORWARDING" >/dev/null
    else
      TRODS_LAB_AGENT_ARGS=--trods.agent.control.prompt-failures=false "$LAB" lab up --servers 3 --rate 80mbit --balancer "$BALANCER" --forwarding "$FORWARDING" >/dev/null
    fi
    for ((i = 0; i < TRIALS; i++)); do
      trial "$mode" $((10 + 80 * i / (TRIALS > 1 ? TRIALS - 1 : 1)))
    done
  done
} | tee "$WORK/trials"
{
  cat "$WORK/trials"
  for mode in prompt noprompt; do
    for metric in recovery resumed; do
      vals=$(grep "^$mode " "$WORK/trials" | grep -o "crash->$metric=[0-9]*ms" | grep -o '[0-9]*' || true)
      printf '%-9s crash->%-9s p50 %s ms  p99 %s ms  (n=%s)\n' "$mode" "$metric" \
        "$(percentile 50 <<<"$vals")" "$(percentile 99 <<<"$vals")" "$(grep -c . <<<"$vals" || true)"
    done
  done
  echo "byte-identical: $(grep -c 'sha=ef386df6a143' "$WORK/trials") of $(grep -c fraction= "$WORK/trials")"
} >"$OUT"
tail -6 "$OUT"
echo "written to $OUT"
