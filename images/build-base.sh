#!/usr/bin/env bash
# Builds the base image of one TRODS component from Debian packages, without a Docker engine or a
# registry: debootstrap (minbase) plus the packages the component runs, packed as a docker-archive
# tarball (manifest.json, config, one layer) that Jib reads as `tar://...` (images/README.md).
#   usage: build-base.sh COMPONENT OUT.tar      (as root; COMPONENT: recovery-agent|liveness-monitor|lb-plugin)
# Cached in $TRODS_IMAGE_CACHE (default /var/cache/trods/images), keyed by suite, mirrors and package
# list: a second run only links OUT.tar to the cached base. Debian's updates and security updates
# are applied when a base is built; delete the cache to pick up newer ones.
set -euo pipefail

COMPONENT=${1:?usage: build-base.sh COMPONENT OUT.tar}
OUT=${2:?usage: build-base.sh COMPONENT OUT.tar}
CACHE=${TRODS_IMAGE_CACHE:-/var/cache/trods/images}
SUITE=${TRODS_IMAGE_SUITE:-bookworm}
MIRROR=${TRODS_IMAGE_MIRROR:-http://deb.debian.org/debian}
SECURITY=${TRODS_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bump when the way a base is built changes, so that cached bases are rebuilt.
RECIPE=1

# What each component execs or dlopens at run time (besides libc, which JNA maps for the agent).
COMMON=(openjdk-17-jre-headless)
case "$COMPONENT" in
  recovery-agent) EXTRA=(iptables nftables) ;;                     # iptables, iptables-restore: NFQUEUE rules; nft: fast path
  lb-plugin) EXTRA=(nftables conntrack ipvsadm procps kmod) ;;     # nft, conntrack; ipvsadm, sysctl, modprobe (IPVS driver)
  liveness-monitor) EXTRA=() ;;                                    # probes and ZooKeeper: Java only
  *) echo "build-base: unknown component '$COMPONENT'" >&2; exit 2 ;;
esac

log() { printf 'build-base: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null || {
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
}

arch=$(dpkg --print-architecture)
key() { printf '%s\n' "$RECIPE" "$SUITE" "$MIRROR" "$SECURITY" "$arch" "$@" | sha256sum | cut -c1-16; }
stage_key=$(key "${COMMON[@]}")
base_key=$(key "${COMMON[@]}" "${EXTRA[@]}")
stage=$CACHE/stage-$stage_key           # minbase + Java, unstripped: the per-component bases start here
base=$CACHE/$COMPONENT-$base_key.tar
mkdir -p "$CACHE/debs" "$(dirname "$OUT")"

link_out() { ln -sfn "$base" "$OUT"; log "$COMPONENT: $(realpath -ms "$OUT") -> $base ($(du -h "$base" | cut -f1))"; }
if [ -s "$base" ]; then link_out; exit 0; fi
# Two builds of the same stage (parallel Maven modules) would trample each other.
exec 9>"$CACHE/.lock"
flock 9
if [ -s "$base" ]; then link_out; exit 0; fi
rm -rf --one-file-system "$CACHE"/build.*   # left by a killed build (its mounts died with it)

# Every mount (debootstrap's /proc and /sys, ours) lives in a private mount namespace and dies with
# the process, so that an interrupted build never leaves a mount under a directory we later delete.
in_root() { unshare --mount --fork -- "$@"; }

# Runs a shell command line with apt in the root file system $1: /proc mounted, the host's DNS,
# no service started by a package's scripts (nftables' postinst would try).
chroot_apt() {
  local r=$1 cmd=$2
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
  chmod 755 "$r/usr/sbin/policy-rc.d"
  in_root sh -c 'mount -t proc proc "$1/proc" && shift && exec chroot "$@"' _ "$r" "$r" \
    env DEBIAN_FRONTEND=noninteractive nice -n 10 sh -c "$cmd" >&2 || die "in $r: $cmd failed"
  rm -f "$r/usr/sbin/policy-rc.d"
}

if [ ! -e "$stage/.complete" ]; then
  rm -rf --one-file-system "$stage"
  log "debootstrap $SUITE (minbase) + ${COMMON[*]} into $stage"
  t0=$(date +%s)
  in_root nice -n 10 debootstrap --variant=minbase --cache-dir="$CACHE/debs" \
    --include="$(IFS=,; echo "${COMMON[*]}")" "$SUITE" "$stage" "$MIRROR" >&2 ||
    die "debootstrap failed (see $stage/debootstrap/debootstrap.log)"
  printf 'deb %s %s main\n' "$MIRROR" "$SUITE" "$MIRROR" "$SUITE-updates" "$SECURITY" "$SUITE-security" \
    >"$stage/etc/apt/sources.list"
  chroot_apt "$stage" 'apt-get update -qq && apt-get upgrade -y -qq'
  touch "$stage/.complete"
  # Stages of other package lists are stale now.
  for old in "$CACHE"/stage-*; do [ "$old" = "$stage" ] || rm -rf --one-file-system "$old"; done
  log "stage built in $(( $(date +%s) - t0 )) s"
fi

work=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT
root=$work/rootfs
cp -a "$stage" "$root"
rm -f "$root/.complete"

if [ ${#EXTRA[@]} -gt 0 ]; then
  log "installing ${EXTRA[*]}"
  chroot_apt "$root" "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${EXTRA[*]}"
fi

# Strip what a container never reads: apt's caches and lists, docs (the copyright files stay),
# man pages, logs. /dev stays empty: the runtime mounts its own.
(cd "$root" && rm -rf var/cache/apt/* var/lib/apt/lists/* var/cache/debconf/*-old var/lib/dpkg/*-old \
  usr/share/man/* usr/share/info/* usr/share/locale/* var/log/* tmp/* var/tmp/* dev/* debootstrap \
  && find usr/share/doc -type f ! -name copyright -delete && find usr/share/doc -type l -delete)
: >"$root/etc/resolv.conf"
printf 'trods\n' >"$root/etc/hostname"

# The docker-archive: one layer (the rootfs), its config (diff_id = the layer's sha256), the manifest.
pack=$work/pack
mkdir -p "$pack"
tar --numeric-owner --sort=name -C "$root" -cf "$pack/layer.tar" .
diff_id=$(sha256sum "$pack/layer.tar" | cut -d' ' -f1)
mkdir "$pack/$diff_id"; mv "$pack/layer.tar" "$pack/$diff_id/layer.tar"
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
packages="${COMMON[*]} ${EXTRA[*]}"
cat >"$pack/config.json" <<JSON
{"architecture":"$arch","os":"linux","created":"$created",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  "Labels":{"io.trods.base.suite":"$SUITE","io.trods.base.packages":"${packages% }"}},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"$created","created_by":"images/build-base.sh: debootstrap --variant=minbase $SUITE + ${packages% }"}]}
JSON
config=$(sha256sum "$pack/config.json" | cut -d' ' -f1).json
mv "$pack/config.json" "$pack/$config"
printf '[{"Config":"%s","RepoTags":["trods/base-%s:%s"],"Layers":["%s/layer.tar"]}]\n' \
  "$config" "$COMPONENT" "$base_key" "$diff_id" >"$pack/manifest.json"
tar -C "$pack" -cf "$base.tmp" manifest.json "$config" "$diff_id"
mv "$base.tmp" "$base"
find "$CACHE" -maxdepth 1 -name "$COMPONENT-*.tar" ! -name "${base##*/}" -delete   # this component's stale bases
link_out
