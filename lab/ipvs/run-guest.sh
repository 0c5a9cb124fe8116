#!/usr/bin/env bash
# Boots the IPVS director guest NAME under qemu (TCG: no KVM here) and waits until its control
# channel answers. Two NICs on taps (front: eth0, back: eth1), two virtio-serial control ports
# (ctl.sock for the lb-plugin's long-lived connection, admin.sock for scripts: one client each).
#   usage: run-guest.sh NAME --front TAP --back TAP [--front-ip A/L] [--back-ip A/L] [--gateway A]
#                            [--netns NS] [--mem 256M] [--wait SECONDS]
#   state: $IPVS_GUEST_RUN (default /run/trods-ipvs)/NAME/{ctl.sock,admin.sock,console.log,qemu.pid}
# The taps are created (persistent) in NS when missing; bridging them is the caller's business.
# Stop: kill "$(cat .../NAME/qemu.pid)".
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IPVS_GUEST_CACHE:-/var/cache/trods/ipvs-guest}
name=${1:?usage: run-guest.sh NAME --front TAP --back TAP ...}
shift
front="" back="" front_ip="" back_ip="" gateway="" netns="" mem=256M wait=90
while [ $# -gt 0 ]; do
  case $1 in
    --front) front=$2 ;; --back) back=$2 ;; --front-ip) front_ip=$2 ;; --back-ip) back_ip=$2 ;;
    --gateway) gateway=$2 ;; --netns) netns=$2 ;; --mem) mem=$2 ;; --wait) wait=$2 ;;
    *) echo "run-guest: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[ -n "$front" ] && [ -n "$back" ] || { echo "run-guest: --front and --back are required" >&2; exit 2; }
[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "run-guest: bad NAME" >&2; exit 2; }
[ -s "$CACHE/initramfs.cpio.gz" ] || { echo "run-guest: no guest in $CACHE: run build-guest.sh" >&2; exit 1; }

state=${IPVS_GUEST_RUN:-/run/trods-ipvs}/$name
mkdir -p "$state"
if [ -s "$state/qemu.pid" ] && kill -0 "$(cat "$state/qemu.pid")" 2>/dev/null; then
  echo "run-guest: $name already runs (pid $(cat "$state/qemu.pid"))" >&2; exit 1
fi
rm -f "$state"/ctl.sock "$state"/admin.sock "$state"/console.log

in_ns=()
[ -n "$netns" ] && in_ns=(ip netns exec "$netns")
for tap in "$front" "$back"; do
  "${in_ns[@]}" ip link show "$tap" >/dev/null 2>&1 || "${in_ns[@]}" ip tuntap add "$tap" mode tap
  "${in_ns[@]}" ip link set "$tap" up
done

# Locally administered MACs derived from NAME, so a restarted guest keeps its neighbours' ARP entries valid.
h=$(printf '%s' "$name" | md5sum | cut -c1-6)
mac() { printf '52:54:%s:%s:%s:%s' "${h:0:2}" "${h:2:2}" "${h:4:2}" "$1"; }
append="console=ttyS0 panic=-1 quiet rdinit=/init trods.front=$front_ip trods.back=$back_ip trods.gateway=$gateway"

started=$(date +%s.%N)
# setsid + nohup: the guest outlives this script; -nographic with the serial console in a file.
"${in_ns[@]}" setsid nohup nice -n 15 qemu-system-x86_64 -name "trods-ipvs-$name" -accel tcg -m "$mem" -smp 1 \
  -nographic -monitor none -serial "file:$state/console.log" -no-reboot \
  -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs.cpio.gz" -append "$append" \
  -netdev "tap,id=front,ifname=$front,script=no,downscript=no" -device "virtio-net-pci,netdev=front,mac=$(mac 01)" \
  -netdev "tap,id=back,ifname=$back,script=no,downscript=no" -device "virtio-net-pci,netdev=back,mac=$(mac 02)" \
  -device virtio-serial-pci \
  -chardev "socket,id=ctl,path=$state/ctl.sock,server=on,wait=off" -device "virtserialport,chardev=ctl,name=trods.ctl" \
  -chardev "socket,id=admin,path=$state/admin.sock,server=on,wait=off" -device "virtserialport,chardev=admin,name=trods.admin" \
  </dev/null >"$state/qemu.out" 2>&1 &
pid=$!
echo "$pid" > "$state/qemu.pid"

deadline=$(( $(date +%s) + wait ))
until out=$("$HERE/guestctl.py" "$state/admin.sock" --timeout 2 uname -r 2>/dev/null); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run-guest: qemu exited; qemu.out and console:" >&2
    tail -20 "$state/qemu.out" "$state/console.log" >&2 || true
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "run-guest: no answer on the control channel within ${wait}s; console:" >&2
    tail -20 "$state/console.log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
printf 'run-guest: %s ready after %.1fs: kernel %s, pid %s, control %s (admin %s)\n' "$name" \
  "$(echo "$(date +%s.%N) - $started" | bc 2>/dev/null || echo 0)" "$out" "$pid" "$state/ctl.sock" "$state/admin.sock"
