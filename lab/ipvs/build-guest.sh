#!/usr/bin/env bash
# Builds the IPVS director guest: Debian 12's own kernel (linux-image-amd64, which has the ip_vs
# modules that this machine's kernel lacks) and a small initramfs (busybox, ipvsadm, the modules,
# lab/ipvs/guest-init.sh as /init). Cached: a second run with the same kernel does nothing.
#   usage: build-guest.sh [--force]        (as root)
#   output: $IPVS_GUEST_CACHE (default /var/cache/trods/ipvs-guest)/{vmlinuz,initramfs.cpio.gz,kernel-version}
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IPVS_GUEST_CACHE:-/var/cache/trods/ipvs-guest}
FORCE=${1:-}
# Modules the guest loads at boot, dependencies (nf_conntrack, libcrc32c, ...) resolved by modprobe.
MODULES=(virtio_pci virtio_net virtio_console ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh)

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get, depmod)"

# Host tools: qemu to run the guest, ipvsadm for its binary and libraries, kmod for depmod/modprobe.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v ipvsadm >/dev/null || need+=(ipvsadm)
command -v cpio >/dev/null || need+=(cpio)
command -v depmod >/dev/null || need+=(kmod)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive nice -n 15 apt-get install -y --no-install-recommends "${need[@]}" >&2
fi

# linux-image-amd64 is a metapackage: the kernel is whatever it depends on today.
kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 to a kernel package (apt-get update?)"
kver=${kpkg#linux-image-}
if [ -z "$FORCE" ] && [ -s "$CACHE/initramfs.cpio.gz" ] && [ "$(cat "$CACHE/kernel-version" 2>/dev/null)" = "$kver" ] \
    && [ "$CACHE/initramfs.cpio.gz" -nt "$HERE/guest-init.sh" ]; then
  log "cached: $CACHE (kernel $kver)"
  exit 0
fi

mkdir -p "$CACHE/debs"
work=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# apt-get download writes into the current directory; keep the .debs for the next build.
(cd "$CACHE/debs" && { ls "${kpkg}"_*.deb >/dev/null 2>&1 || nice -n 15 apt-get download "$kpkg" >&2; }
 ls busybox-static_*.deb >/dev/null 2>&1 || nice -n 15 apt-get download busybox-static >&2)
log "unpacking $kpkg and busybox-static"
dpkg-deb -x "$(ls "$CACHE"/debs/"${kpkg}"_*.deb | tail -1)" "$work/kernel"
dpkg-deb -x "$(ls "$CACHE"/debs/busybox-static_*.deb | tail -1)" "$work/busybox"
# The package ships no modules.dep (its postinst runs depmod): make one to resolve dependencies.
depmod -b "$work/kernel" "$kver"

root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib/modules/"$kver"}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
cp "$HERE/guest-init.sh" "$root/init"
chmod 755 "$root/init"

# ipvsadm and the shared libraries it needs (same Debian release as the guest's userland needs).
cp /usr/sbin/ipvsadm "$root/sbin/ipvsadm"
ldd /usr/sbin/ipvsadm | grep -o '/[^ ]*' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

# Modules in load order (dependencies first), as "modprobe --show-depends" prints them.
: > "$root/etc/modules.order"
for m in "${MODULES[@]}"; do
  modprobe -d "$work/kernel" -S "$kver" --show-depends "$m" | while read -r kind path _; do
    [ "$kind" = insmod ] || continue # builtin: nothing to load
    rel=${path#"$work/kernel"}
    if [ ! -e "$root$rel" ]; then
      mkdir -p "$root$(dirname "$rel")"
      cp "$path" "$root$rel"
    fi
    grep -qxF "$rel" "$root/etc/modules.order" || echo "$rel" >> "$root/etc/modules.order"
  done
done
# Compressed modules: busybox insmod may lack the decompressor, so store them plain.
find "$root/lib/modules" -name '*.ko.xz' -exec xz -d {} + 2>/dev/null || true
find "$root/lib/modules" -name '*.ko.zst' -exec zstd -q -d --rm {} + 2>/dev/null || true
sed -i -e 's/\.ko\.xz$/.ko/' -e 's/\.ko\.zst$/.ko/' "$root/etc/modules.order"
# A modules.dep for the guest's modprobe: ipvsadm and the kernel (request_module) load schedulers on demand.
cp "$work/kernel/lib/modules/$kver/modules.builtin"* "$root/lib/modules/$kver/" 2>/dev/null || true
cp "$work/kernel/lib/modules/$kver/modules.order" "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"
log "modules: $(wc -l < "$root/etc/modules.order") ($(du -sh "$root/lib/modules" | cut -f1))"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -6) > "$work/initramfs.cpio.gz"
cp "$work/kernel/boot/vmlinuz-$kver" "$CACHE/vmlinuz.new"
mv "$work/initramfs.cpio.gz" "$CACHE/initramfs.cpio.gz.new"
mv "$CACHE/vmlinuz.new" "$CACHE/vmlinuz"
mv "$CACHE/initramfs.cpio.gz.new" "$CACHE/initramfs.cpio.gz"
echo "$kver" > "$CACHE/kernel-version"
log "built $CACHE (kernel $kver, initramfs $(du -h "$CACHE/initramfs.cpio.gz" | cut -f1))"
