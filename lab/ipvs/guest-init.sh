#!/bin/busybox sh
# /init of the IPVS director guest (busybox). Loads the modules, configures the two NICs from the
# kernel command line (trods.front=ADDR/LEN on eth0, trods.back=ADDR/LEN on eth1), and serves the
# control channel on every virtio-serial port named trods.*:
#   request:  TRODS1 <id> <timeout-seconds> <base64 shell command line> <base64 stdin | ->
#   response: TRODS1 <id> <exit status> <base64 stdout | -> <base64 stderr | ->
# one line each. The host matches responses by id, so a late answer to a timed-out request is ignored.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

while read -r mod; do
  insmod "$mod" 2>/dev/null || echo "init: insmod $mod failed" > /dev/console
done < /etc/modules.order

arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -1; }
ip link set lo up
for pair in "eth0 $(arg trods.front)" "eth1 $(arg trods.back)"; do
  set -- $pair
  ip link set "$1" up 2>/dev/null || echo "init: no $1" > /dev/console
  [ -n "$2" ] && ip addr add "$2" dev "$1"
done
gw=$(arg trods.gateway)
[ -n "$gw" ] && ip route add default via "$gw"

b64() { if [ -s "$1" ]; then base64 "$1" | tr -d '\n'; else echo -; fi; }

# One request at a time per port; each port has its own scratch directory. The port stays open
# for good (a virtio port allows one open, and qemu does not pass on what a new host client sent
# until the guest queues fresh buffers, so closing and reopening it loses requests); read returns
# end of file at once while no host client is connected, hence the short sleep.
serve() {
  dir=/run/ctl.$2
  mkdir -p "$dir"
  exec 4<> "$1"
  while :; do
    while read -r magic id limit cmd input <&4; do
      [ "$magic" = TRODS1 ] || continue
      echo "$cmd" | base64 -d > "$dir/cmd" 2>/dev/null
      if [ "$input" = - ]; then : > "$dir/in"; else echo "$input" | base64 -d > "$dir/in" 2>/dev/null; fi
      timeout -s KILL "${limit:-30}" sh "$dir/cmd" < "$dir/in" > "$dir/out" 2> "$dir/err"
      rc=$?
      printf 'TRODS1 %s %s %s %s\n' "$id" "$rc" "$(b64 "$dir/out")" "$(b64 "$dir/err")" >&4
    done
    sleep 0.2
  done
}

n=0
for p in /sys/class/virtio-ports/*; do
  [ -e "$p/name" ] || continue
  case "$(cat "$p/name")" in
    trods.*) serve "/dev/$(basename "$p")" "$n" & n=$((n + 1)) ;;
  esac
done
echo "init: guest up, $(uname -r), control ports: $n" > /dev/console
# PID 1 must not exit; a shell on the console helps when debugging with -serial stdio.
while :; do sleep 3600; done
