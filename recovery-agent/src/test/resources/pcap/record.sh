#!/usr/bin/env bash
# Re-records the captures that io.trods.agent.pcap.RecordedFlowsTest replays through the FlowEngine.
#
#   sudo recovery-agent/src/test/resources/pcap/record.sh [OUTPUT_DIR]   (default: this directory)
#
# Needs root, nginx, curl, tcpdump, openssl, iproute2. Builds two network namespaces of its own,
# pcaprec-client (192.0.2.2) and pcaprec-server (192.0.2.1, stock nginx on :80), joined by a veth
# pair, and captures on the server's side what the agent's queue would see there: the server's
# segments before GSO segmentation (super-packets up to 64 KB, offloads left on, as in the lab) and
# the client's as they arrive. Everything it creates (namespaces, nginx, temporary files) is removed
# on exit. Sequence numbers and timestamps differ on every run: the tests derive what they expect
# from the capture itself, so re-recorded files need no change to the tests.
#
#   get-200.pcap        GET of a 128 KiB object: 200, protected                    (Ethernet, eth0)
#   range-206.pcap      the same with Range: bytes=1000-, at 400 kbit/s through a 16 KB
#                       receive buffer: streams for over a second (zero window)    (Ethernet, eth0)
#   keepalive-2.pcap    two GETs on one connection (128 KiB, then 16 KiB)         (Linux cooked, -i any)
#   gzip-chunked.pcap   a text file gzipped on the fly (chunked, coded): not protectable (Ethernet)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here}")
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "record.sh: needs root (network namespaces, tcpdump)" >&2; exit 1; }
for tool in nginx curl tcpdump openssl ip tc; do
  command -v "$tool" >/dev/null || { echo "record.sh: $tool is missing" >&2; exit 1; }
done

SERVER_NS=pcaprec-server CLIENT_NS=pcaprec-client
SERVER=192.0.2.1 CLIENT=192.0.2.2
work=$(mktemp -d /tmp/pcaprec.XXXXXX)
chmod 755 "$work"
nginx_pid=""

cleanup() {
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
  ip netns del "$CLIENT_NS" 2>/dev/null || true
  ip netns del "$SERVER_NS" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- namespaces ------------------------------------------------------------------------------------
for ns in "$SERVER_NS" "$CLIENT_NS"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip link add pcaprec-s netns "$SERVER_NS" type veth peer name pcaprec-c netns "$CLIENT_NS"
ip -n "$SERVER_NS" link set pcaprec-s name eth0
ip -n "$CLIENT_NS" link set pcaprec-c name eth0
ip -n "$SERVER_NS" addr add "$SERVER/24" dev eth0
ip -n "$CLIENT_NS" addr add "$CLIENT/24" dev eth0
ip -n "$SERVER_NS" link set eth0 up
ip -n "$CLIENT_NS" link set eth0 up

# --- docroot: deterministic bytes and a fixed mtime, so that the ETag is the same on every run -----
mkdir -p "$work/www/obj" "$work/www/text" "$work/tmp"
object() { # name size: the AES-CTR keystream of a key derived from the name (incompressible)
  local key
  key=$(printf 'trods-pcap-object:%s' "$1" | sha256sum | cut -c1-32)
  { openssl enc -aes-128-ctr -K "$key" -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null || true; } |
    head -c "$2" >"$work/www/obj/$1"
}
object 128K.bin 131072
object 16K.bin 16384
for i in $(seq 1 1200); do printf 'line %04d of a text that compresses well\n' "$i"; done >"$work/www/text/words.txt"
touch -d '2026-01-01 00:00:00 UTC' "$work"/www/obj/* "$work"/www/text/*
chmod -R a+rX "$work/www"

cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 64; }
http {
  access_log $work/access.log;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  default_type application/octet-stream;
  sendfile on;
  etag on;
  keepalive_timeout 10s;
  server {
    listen $SERVER:80;
    root $work/www;
    location /text/ {
      default_type text/plain;
      gzip on;
      gzip_min_length 0;
      gzip_types text/plain;
    }
  }
}
EOF
ip netns exec "$SERVER_NS" nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 50); do
  ip netns exec "$CLIENT_NS" curl -sf -o /dev/null "http://$SERVER/obj/16K.bin" && break
  sleep 0.1
done

# --- captures -----------------------------------------------------------------------------------
# record NAME INTERFACE CURL_ARGS...: tcpdump on the server's side, whole packets (-s 0), one curl run.
# --immediate-mode: otherwise packets still in the kernel's ring at SIGINT are lost; -B: with -i any
# and 64 KB super-packets the default buffer drops some.
record() {
  local name=$1 dev=$2 tcpdump_pid
  shift 2
  ip netns exec "$SERVER_NS" tcpdump -i "$dev" -s 0 -B 32768 --immediate-mode -U -w "$work/$name" "tcp port 80" 2>"$work/$name.log" &
  tcpdump_pid=$!
  for _ in $(seq 1 50); do grep -q listening "$work/$name.log" && break; sleep 0.1; done
  ip netns exec "$CLIENT_NS" curl -sS "$@"
  sleep 0.5 # the last FIN and ACK
  kill -INT "$tcpdump_pid"
  wait "$tcpdump_pid" || true
  if ! grep -q '^0 packets dropped by kernel' "$work/$name.log"; then
    echo "record.sh: tcpdump lost packets of $name, run again: $(tr '\n' ' ' <"$work/$name.log")" >&2
    exit 1
  fi
  install -m 644 "$work/$name" "$out/$name"
  echo "$name: $(stat -c %s "$out/$name") bytes, $(tcpdump -r "$out/$name" 2>/dev/null | wc -l) packets"
}

url=http://$SERVER
null=(-o /dev/null)
record get-200.pcap eth0 "${null[@]}" "$url/obj/128K.bin"
# Slow enough that the response streams for more than a second (the engine's zero-window
# threshold): the server's side limited to 400 kbit/s by tbf, whose burst lets its super-packets pass
# whole, and a 16 KB receive buffer on the client, which keeps them under that burst.
rmem=$(ip netns exec "$CLIENT_NS" sysctl -n net.ipv4.tcp_rmem)
ip netns exec "$CLIENT_NS" sysctl -q -w net.ipv4.tcp_rmem="4096 16384 16384"
tc -n "$SERVER_NS" qdisc add dev eth0 root tbf rate 400kbit burst 32kb latency 2s
record range-206.pcap eth0 "${null[@]}" -H 'Range: bytes=1000-' "$url/obj/128K.bin"
tc -n "$SERVER_NS" qdisc del dev eth0 root
ip netns exec "$CLIENT_NS" sysctl -q -w net.ipv4.tcp_rmem="$rmem"
record keepalive-2.pcap any "${null[@]}" "$url/obj/128K.bin" "${null[@]}" "$url/obj/16K.bin"
record gzip-chunked.pcap eth0 "${null[@]}" --compressed "$url/text/words.txt"
