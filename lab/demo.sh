#!/usr/bin/env bash
# ./trods demo: the main job. A download through the VIP, a crash-stop of the server that serves it,
# and what the client sees, with a timeline. Run by ./trods demo after ./trods setup.
set -euo pipefail

TRODS_HOME=${TRODS_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# shellcheck source=lib/common.sh
source "$TRODS_HOME/lab/lib/common.sh"
# shellcheck source=lib/topology.sh
source "$TRODS_HOME/lab/lib/topology.sh"

LAB="$TRODS_HOME/lab/lab.sh"
OBJECT=/obj/64M.bin
RATE=${TRODS_DEMO_RATE:-40mbit}
CRASH_AFTER_BYTES=$((16 * 1024 * 1024))   # crash a quarter of the way in
STALL_LIMIT_S=${TRODS_DEMO_STALL_LIMIT:-15} # no new byte for this long after the crash: the download is dead
WORK=$(mktemp -d /tmp/trods-demo.XXXXXX)
CURL_PID=""

cleanup() {
  [ -z "$CURL_PID" ] || kill "$CURL_PID" 2>/dev/null || true
  if [ "${TRODS_DEMO_KEEP:-0}" = 1 ]; then
    say "Keeping the lab up (TRODS_DEMO_KEEP=1); ./trods lab down removes it"
    rm -rf "$WORK"
    return
  fi
  say "Tearing the lab down"
  "$LAB" down >/dev/null || true
  rm -rf "$WORK"
}

require_root
if [ -f "$LAB_STATE/lab.env" ] || [ -n "$(ip netns list | grep "^$LAB_NS_PREFIX" || true)" ]; then
  say "A lab is up: the demo brings up its own, so it removes that one first"
  "$LAB" down
fi
trap cleanup EXIT
trap 'exit 130' INT TERM

# TRODS_DEMO_BASELINE=1 shows the same scene without TRODS.
"$LAB" up --servers 2 --rate "$RATE" $([ "${TRODS_DEMO_BASELINE:-0}" = 1 ] && echo --baseline)
url="http://$LAB_VIP$OBJECT"
expected=$(awk -v p="$OBJECT" '$1 == p {print $3}' "$LAB_STATE/objects.txt")
size=$(awk -v p="$OBJECT" '$1 == p {print $2}' "$LAB_STATE/objects.txt")

say "1. A download without failure, from the client through the VIP"
"$LAB" exec client -- curl -sS -D "$WORK/warmup.h" -o "$WORK/warmup.bin" "http://$LAB_VIP/obj/1M.bin"
info "served by $(awk 'tolower($1) == "x-served-by:" {print $2}' "$WORK/warmup.h" | tr -d '\r'),"\
" sha256 $(sha256sum "$WORK/warmup.bin" | cut -c1-16)... (expected $(awk '$1 == "/obj/1M.bin" {print substr($3, 1, 16)}' "$LAB_STATE/objects.txt")...)"

say "2. curl $url ($((size / 1048576)) MiB at $RATE), crash-stop of its server a quarter of the way in"
t_start=$(now_ms)
"$LAB" exec client -- curl -sS -D "$WORK/big.h" -o "$WORK/big.bin" "$url" 2>"$WORK/curl.err" &
CURL_PID=$!

received() { stat -c %s "$WORK/big.bin" 2>/dev/null || echo 0; }
ms_since() { echo "$(( $(now_ms) - t_start ))"; }
fmt_s() { printf '%d.%03d s' $(($1 / 1000)) $(($1 % 1000)); }

served_by=""
while [ -z "$served_by" ]; do
  kill -0 "$CURL_PID" 2>/dev/null || die "curl ended before the response started: $(cat "$WORK/curl.err")"
  served_by=$(awk 'tolower($1) == "x-served-by:" {print $2}' "$WORK/big.h" 2>/dev/null | tr -d '\r' || true)
  sleep 0.05
done
t_first=$(ms_since)
info "response started after $(fmt_s "$t_first"), served by $served_by"
while [ "$(received)" -lt "$CRASH_AFTER_BYTES" ]; do
  kill -0 "$CURL_PID" 2>/dev/null || die "curl ended before the crash: $(cat "$WORK/curl.err")"
  sleep 0.05
done
at_crash=$(received)
"$LAB" crash "$served_by"
t_crash=$(ms_since)
t_failover=""
dead_addr=$(lab_server_addr "$served_by")
if [ "${TRODS_DEMO_BASELINE:-0}" = 1 ]; then
  # No monitor without TRODS: the operator takes the dead server out of the balancer by hand.
  "$LAB" pool remove "$served_by"
  t_failover=$(ms_since)
fi
# With TRODS nobody touches the balancer: the liveness monitors notice the crash and publish, the
# lb-plugin applies it. Watched below, in the balancer's kernel table.
out_of_balancer() {
  local table
  table=$(ip netns exec "$(lab_ns balancer)" nft list table ip trods_balancer 2>/dev/null) || return 1
  ! grep -qw "$dead_addr" <<<"$table"
}

# Watch the client, 20 times a second: bytes, and the time since the last new byte. Bytes already
# on the wire at the crash still arrive for a moment; "resumed" is the first new byte after a pause
# of at least 100 ms.
last_bytes=$at_crash
t_last_byte=$t_crash
t_resumed=""
while kill -0 "$CURL_PID" 2>/dev/null; do
  sleep 0.05
  [ -n "$t_failover" ] || ! out_of_balancer || t_failover=$(ms_since)
  now=$(received)
  t=$(ms_since)
  if [ "$now" -gt "$last_bytes" ]; then
    [ -n "$t_resumed" ] || [ $((t - t_last_byte)) -lt 100 ] || t_resumed=$t
    last_bytes=$now
    t_last_byte=$t
  fi
  if [ $((t / 1000)) -ne "${shown:-0}" ]; then   # one progress line a second
    shown=$((t / 1000))
    info "$(printf '%4d.%d s  %3d MiB of %d' $((t / 1000)) $((t % 1000 / 100)) $((now / 1048576)) $((size / 1048576)))"
  fi
  [ $((t - t_last_byte)) -lt $((STALL_LIMIT_S * 1000)) ] || break
done
# When the survivors' agents prompted the clients and began the recovery, from their logs (wall
# clock, milliseconds).
log_time() {
  local line
  line=$(grep -h "$1" "$LAB_STATE"/server*/agent.log 2>/dev/null | sort | head -1 || true)
  [ -z "$line" ] || echo $(( $(date -d "$(echo "$line" | awk '{print $1}')" +%s%3N) - t_start ))
}
t_prompted=$(log_time "prompted [0-9]* of its clients")
t_recovering=$(log_time "recovering")

say "Timeline (from the request)"
{
  echo "0|request sent"
  echo "$t_first|response started, served by $served_by"
  echo "$t_crash|$served_by crash-stopped, client had $((at_crash / 1048576)) MiB"
  if [ "${TRODS_DEMO_BASELINE:-0}" = 1 ]; then
    echo "$t_failover|$served_by taken out of the balancer by hand"
  elif [ -n "$t_failover" ]; then
    echo "$t_failover|$served_by out of the balancer: detected by the liveness monitors, applied by the lb-plugin ($(fmt_s $((t_failover - t_crash))) after the crash)"
  fi
  [ -z "$t_prompted" ] || echo "$t_prompted|the survivors' agents prompt its clients ($(fmt_s $((t_prompted - t_crash))) after the crash)"
  [ -z "$t_recovering" ] || echo "$t_recovering|a survivor's agent recovers the connection ($(fmt_s $((t_recovering - t_crash))) after the crash)"
  [ -z "$t_resumed" ] || echo "$t_resumed|bytes flow again ($(fmt_s $((t_resumed - t_crash))) after the crash)"
  echo "$t_last_byte|last byte received ($((last_bytes / 1048576)) MiB of $((size / 1048576)))"
} | sort -t'|' -k1,1n | while IFS='|' read -r ms text; do info "$(printf '%9s' "$(fmt_s "$ms")")  $text"; done
[ -n "$t_resumed" ] || [ -z "$t_recovering" ] || info "           (the client never paused for 100 ms or more)"

if kill -0 "$CURL_PID" 2>/dev/null; then
  kill "$CURL_PID" 2>/dev/null || true
  wait "$CURL_PID" 2>/dev/null || true
  CURL_PID=""
  say "Outcome: the download is STALLED: no byte for ${STALL_LIMIT_S} s after the crash of $served_by."
  if [ "${TRODS_DEMO_BASELINE:-0}" = 1 ]; then
    info "Without TRODS, the survivor that now receives the connection's packets knows nothing of it and"
    info "resets it, or the client waits until its TCP gives up (about 15 minutes). This is the problem"
    info "TRODS solves."
  else
    info "TRODS did not recover this download: see /run/trods-lab/server*/agent.log before the lab is"
    info "torn down (TRODS_DEMO_KEEP=1 keeps it)."
  fi
  exit 0
fi
rc=0
wait "$CURL_PID" || rc=$?
CURL_PID=""
if [ "$rc" -ne 0 ]; then
  say "Outcome: the download FAILED: curl exit $rc ($(tr -d '\n' <"$WORK/curl.err")), $last_bytes of $size bytes."
  exit 0
fi
actual=$(sha256sum "$WORK/big.bin" | cut -d' ' -f1)
if [ "$actual" = "$expected" ]; then
  say "Outcome: the download COMPLETED, byte-identical (sha256 $actual), in $(fmt_s "$t_last_byte")"
  survivor=$(grep -l "recovering" "$LAB_STATE"/server*/agent.log 2>/dev/null | head -1 | xargs -r dirname | xargs -r basename)
  [ -z "$survivor" ] || info "$survivor's agent recovered it: $(grep -h 'recovering' "$LAB_STATE/$survivor/agent.log" | tail -1 | sed 's/.*: recovering/recovering/')"
else
  say "Outcome: the download completed with WRONG BYTES: sha256 $actual, expected $expected"
  exit 1
fi
