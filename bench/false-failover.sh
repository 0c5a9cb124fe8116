#!/usr/bin/env bash
# False failovers under full load: the lab (3 servers, 2 monitors, client link unlimited) is driven
# as hard as this machine allows, and every transition the liveness monitors log is counted. No
# server is crashed, so every server taken out of the balancer is a false failover. Loads, each for
# SECONDS: 1 KiB requests over keep-alive (wrk, 64 connections), 1 MiB objects on 64 connections,
# and a burst of 300 new downloads held mid-stream (lab/tools/many-downloads.py).
# The same loads are then run once more with the monitors' addresses taken out of the agents'
# rules (trods.agent.health-check-sources undone by hand): the probes then queue behind the
# protected traffic, as before that setting existed.
# Usage: bench/false-failover.sh [seconds]   (as root; writes bench/results/)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_LOAD=${1:-30}
OUT=bench/results/false-failover-$(date -u +%Y%m%dT%H%M%SZ).txt
LAB=./trods
WORK=$(mktemp -d /tmp/trods-bench.XXXXXX)
trap 'pkill -f "many-downloads.py .* $WORK" 2>/dev/null || true; "$LAB" lab down >/dev/null; rm -rf "$WORK"' EXIT

# "UP -> DOWN" and "-> HELD_DOWN" transitions logged by the monitors so far.
downs() { cat /run/trods-lab/monitor*/monitor.log 2>/dev/null | grep -cE "UP -> (DOWN|HELD_DOWN)" || true; }
applied() { "$LAB" lab exec balancer -- curl -s -m 5 http://127.0.0.1:9102/actuator/balancer | jq -r '.appliedVersion'; }

phase() {
  local name=$1 before_downs before_version result
  shift
  before_downs=$(downs); before_version=$(applied)
  result=$("$@" 2>&1 | tr '\n' ' ' | sed 's/  */ /g')
  echo "$name: monitor transitions to DOWN $(( $(downs) - before_downs )), table versions applied $(( $(applied) - before_version )) | $result"
}

wrk_load() {
  "$LAB" lab exec client -- wrk -t2 -c64 -d"${SECONDS_LOAD}"s "http://198.18.0.10$1" |
    grep -E "Requests/sec|Transfer/sec|Socket errors" || true
}

burst() {
  mkdir -p "$WORK/burst"
  "$LAB" lab exec client -- python3 lab/tools/many-downloads.py 198.18.0.10 /obj/64M.bin \
    /var/lib/trods/lab-docroot/obj/64M.bin "$WORK/burst" 300 262144 1048576 "$SECONDS_LOAD" &
  local pid=$!
  for _ in $(seq $((SECONDS_LOAD * 10 + 50))); do [ -s "$WORK/burst/ready" ] && break; sleep 0.1; done
  touch "$WORK/burst/go"
  wait "$pid" || true
  echo "held: $(cut -d' ' -f1 "$WORK/burst/ready" 2>/dev/null || echo none) of 300; $(jq -c '{ok, failed: (.failed | length)}' "$WORK/burst/result" 2>/dev/null || echo 'no result')"
}

# Deletes the agents' RETURN rules for the health checkers (the monitors), in every server.
probes_through_queues() {
  local s rule
  for s in server1 server2 server3; do
    "$LAB" lab exec "$s" -- iptables -t mangle -S | grep -E "^-A TRODS_(IN|OUT) -[sd] 198\.19\.0\.[34]/32 -j RETURN" |
      while read -r rule; do
        # shellcheck disable=SC2086
        "$LAB" lab exec "$s" -- iptables -t mangle ${rule/-A/-D}
      done
  done
}

loads() {
  phase "1 KiB keep-alive, 64 connections, ${SECONDS_LOAD}s" wrk_load /obj/1K.bin
  phase "1 MiB objects, 64 connections, ${SECONDS_LOAD}s" wrk_load /obj/1M.bin
  phase "300 new 64 MiB downloads at once, held" burst
}

{
  echo "# bench/false-failover.sh $SECONDS_LOAD on $(uname -r), $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
  "$LAB" lab down >/dev/null
  "$LAB" lab up --servers 3 --rate none >/dev/null
  echo "## the monitors' probes skip the agents' queues (health-check-sources, the lab's default)"
  loads
  "$LAB" lab down >/dev/null
  "$LAB" lab up --servers 3 --rate none >/dev/null
  probes_through_queues
  rm -rf "$WORK/burst"
  echo "## the probes go through the agents' queues (the rules for the monitors deleted)"
  loads
} | tee "$OUT"
echo "written to $OUT"
