#!/usr/bin/env bash
# Standalone proof that a real IPVS kernel (the qemu guest) moves a removed server's connection:
# client -> guest (VIP 10.99.1.1:80, NAT, rr) -> server1/server2 (10.99.2.11/12:8080). One TCP
# connection is opened and answered by server X; `ipvsadm -d` removes X; the client's next data
# packet (not a SYN) must reach the survivor, seen by tcpdump in the survivor's namespace.
# Creates only ipvstest-* namespaces (links live inside them); cleans up everything on exit.
#   usage: selftest.sh        (as root; builds the guest first if needed)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export IPVS_GUEST_RUN=${IPVS_GUEST_RUN:-/run/trods-ipvs}
GUEST=ipvstest-self
STATE=$IPVS_GUEST_RUN/$GUEST
SW=ipvstest-sw CLIENT=ipvstest-client S1=ipvstest-server1 S2=ipvstest-server2
VIP=10.99.1.1 CLIENT_IP=10.99.1.2 S1_IP=10.99.2.11 S2_IP=10.99.2.12
# The interpreter itself, not a wrapper (pyenv's shim forks): the PIDs we end must be the servers'.
PY=$(python3 -c 'import sys; print(sys.executable)')
T0=$(date +%s.%N)
WORK=$(mktemp -d /tmp/ipvstest.XXXXXX)
PIDS=()

say() { printf '[%6.2fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }
fail() { say "FAIL: $*"; exit 1; }
g() { "$HERE/guestctl.py" "$STATE/admin.sock" --timeout 20 "$@"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  [ -s "$STATE/qemu.pid" ] && kill "$(cat "$STATE/qemu.pid")" 2>/dev/null
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  [ -s "$STATE/qemu.pid" ] && kill -9 "$(cat "$STATE/qemu.pid")" 2>/dev/null
  # Deleting a namespace deletes the veths, taps and bridges inside it.
  for ns in $CLIENT $S1 $S2 $SW; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$STATE" "$WORK"
  say "cleaned up (exit $rc)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || fail "run as root"
for ns in $CLIENT $S1 $S2 $SW; do
  ip netns list | grep -qw "^$ns" && fail "namespace $ns exists (an earlier run?): ip netns del $ns"
done

"$HERE/build-guest.sh"
say "guest image ready"

# Switch namespace: two bridges, the guest's taps, one veth per host.
ip netns add $SW
in_ns $SW ip link set lo up
in_ns $SW ip link add brf type bridge
in_ns $SW ip link add brb type bridge
in_ns $SW ip link set brf up
in_ns $SW ip link set brb up
in_ns $SW ip tuntap add ipvstest-tf mode tap
in_ns $SW ip tuntap add ipvstest-tb mode tap
in_ns $SW ip link set ipvstest-tf master brf
in_ns $SW ip link set ipvstest-tb master brb
host() { # NAMESPACE BRIDGE ADDRESS GATEWAY
  ip netns add "$1"
  ip link add "v-$2-${3##*.}" netns $SW type veth peer name eth0 netns "$1"
  in_ns $SW ip link set "v-$2-${3##*.}" master "$2" up
  in_ns "$1" ip link set lo up
  in_ns "$1" ip link set eth0 up
  in_ns "$1" ip addr add "$3/24" dev eth0
  in_ns "$1" ip route add default via "$4"
  in_ns "$1" ethtool -K eth0 tx off >/dev/null 2>&1 || true # veth checksum offload vs. a tap peer
}
host $CLIENT brf $CLIENT_IP $VIP
host $S1 brb $S1_IP 10.99.2.1
host $S2 brb $S2_IP 10.99.2.1
say "namespaces up: $CLIENT $S1 $S2 $SW"

"$HERE/run-guest.sh" $GUEST --netns $SW --front ipvstest-tf --back ipvstest-tb \
  --front-ip $VIP/24 --back-ip 10.99.2.1/24 --wait 120 | sed 's/^/    /'
say "guest answers on its control channel"

# Backgrounded as plain `ip netns exec` (which execs), so that $! is the process itself.
# Servers: answer every line with their name, so the client sees who holds its connection.
cat > "$WORK/server.py" <<'PY'
import socket, sys, threading
name = sys.argv[1]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(16)
def serve(c):
    with c, c.makefile("rb") as f:
        for line in f:
            c.sendall((name + "\n").encode())
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# Client: one connection; says who answered, waits for "go", sends again on the same connection.
cat > "$WORK/client.py" <<'PY'
import os, socket, sys, time
work = sys.argv[1]
c = socket.create_connection((sys.argv[2], 80), timeout=10)
c.sendall(b"hello\n")
who = c.recv(100).decode().strip()
open(work + "/first", "w").write("%s %d\n" % (who, c.getsockname()[1]))
while not os.path.exists(work + "/go"):
    time.sleep(0.05)
c.sendall(b"again\n")
try:
    data = c.recv(100)
    result = "answered: " + data.decode().strip() if data else "closed by peer (FIN)"
except ConnectionResetError:
    result = "reset by peer (RST)"
except socket.timeout:
    result = "no answer within 10s"
open(work + "/second", "w").write(result + "\n")
PY
ip netns exec $S1 "$PY" "$WORK/server.py" server1 & PIDS+=($!)
ip netns exec $S2 "$PY" "$WORK/server.py" server2 & PIDS+=($!)

# IPVS through the control channel: the director settings TRODS needs, then the service.
g 'sysctl -w net.ipv4.ip_forward=1 net.ipv4.vs.sloppy_tcp=1 net.ipv4.vs.expire_nodest_conn=1 net.ipv4.vs.conntrack=0' | sed 's/^/    guest: /'
g "ipvsadm -A -t $VIP:80 -s rr && ipvsadm -a -t $VIP:80 -r $S1_IP:8080 -m -w 1 && ipvsadm -a -t $VIP:80 -r $S2_IP:8080 -m -w 1"
g ipvsadm -Ln | sed 's/^/    guest: /'
sleep 1 # servers listening

ip netns exec $CLIENT "$PY" "$WORK/client.py" "$WORK" $VIP & CLIENT_PID=$!; PIDS+=($CLIENT_PID)
for _ in $(seq 100); do [ -s "$WORK/first" ] && break; sleep 0.1; done
[ -s "$WORK/first" ] || fail "the client got no answer through the VIP"
read -r victim cport < "$WORK/first"
case $victim in
  server1) survivor=server2 vns=$S1 sns=$S2 victim_ip=$S1_IP survivor_ip=$S2_IP ;;
  server2) survivor=server1 vns=$S2 sns=$S1 victim_ip=$S2_IP survivor_ip=$S1_IP ;;
  *) fail "unexpected answer '$victim'" ;;
esac
say "connection $CLIENT_IP:$cport -> $VIP:80 balanced to $victim ($victim_ip)"
g ipvsadm -Lnc | sed 's/^/    guest: /'

# Captures: client data (no SYN) arriving at each server; what the client sends and receives.
FILTER="tcp and src host $CLIENT_IP and src port $cport and tcp[tcpflags] & tcp-syn == 0"
ip netns exec $sns tcpdump -i eth0 -n -U -w "$WORK/survivor.pcap" "$FILTER" 2>"$WORK/tcpdump-s.err" & PIDS+=($!)
ip netns exec $vns tcpdump -i eth0 -n -U -w "$WORK/victim.pcap" "$FILTER" 2>"$WORK/tcpdump-v.err" & PIDS+=($!)
ip netns exec $CLIENT tcpdump -i eth0 -n -U -w "$WORK/client.pcap" "tcp port $cport" 2>"$WORK/tcpdump-c.err" & PIDS+=($!)
for f in s v c; do
  for _ in $(seq 100); do grep -q "listening on" "$WORK/tcpdump-$f.err" 2>/dev/null && break; sleep 0.1; done
done

g "ipvsadm -d -t $VIP:80 -r $victim_ip:8080"
say "removed $victim from IPVS (ipvsadm -d); the client sends its next packet"
touch "$WORK/go"
for _ in $(seq 150); do [ -s "$WORK/second" ] && break; sleep 0.1; done
sleep 1 # let the captures flush
say "client after the removal: $(cat "$WORK/second" 2>/dev/null || echo 'nothing yet')"
g ipvsadm -Lnc | sed 's/^/    guest: /'

show() { tcpdump -r "$1" -n -S -tt 2>/dev/null | sed "s/^/    $2: /"; }
show "$WORK/client.pcap" "client   "
show "$WORK/survivor.pcap" "$survivor"
show "$WORK/victim.pcap" "$victim  "
arrived=$(tcpdump -r "$WORK/survivor.pcap" -n -S 2>/dev/null | grep -c "> $survivor_ip.8080" || true)
at_victim=$(tcpdump -r "$WORK/victim.pcap" -n 2>/dev/null | grep -c "> $victim_ip.8080" || true)
sent=$(tcpdump -r "$WORK/client.pcap" -n -S 2>/dev/null | grep -c "$CLIENT_IP.$cport > $VIP.80: Flags \[P.\]" || true)
[ "$arrived" -ge 1 ] || fail "no packet of the connection reached the survivor $survivor"
[ "$at_victim" -eq 0 ] || fail "the removed server $victim still got $at_victim packet(s)"
first_seq=$(tcpdump -r "$WORK/client.pcap" -n -S 2>/dev/null | grep "$CLIENT_IP.$cport > $VIP.80: Flags \[P.\]" | head -1 | grep -o 'seq [0-9:]*')
surv_seq=$(tcpdump -r "$WORK/survivor.pcap" -n -S 2>/dev/null | head -1 | grep -o 'seq [0-9:]*')
[ -n "$first_seq" ] && [ "$first_seq" = "$surv_seq" ] || fail "survivor's first packet ($surv_seq) is not the client's first one ($first_seq)"
say "PASS: the client's first data packet after ipvsadm -d ($first_seq, non-SYN, sent $sent time(s)) reached the survivor $survivor; $victim got none"
