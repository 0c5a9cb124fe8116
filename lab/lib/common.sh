# shellcheck shell=bash
# Shared helpers for ./trods and the lab scripts: messages, requirement checks, installation.
# Sourced, never executed.

TRODS_HOME=${TRODS_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

say()  { printf '\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch: the unit of every timeline the lab and the demo print.
now_ms() { date +%s%3N; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "this needs root (network namespaces, netfilter, tc): run it with sudo or as root"
}

require_debian() {
  [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1 ||
    die "this needs Debian or Ubuntu (apt-get and Debian's nginx, redis-server and zookeeper packages)"
}

# Debian packages the lab, the demo and the tests use. Stock packages, stock binaries.
TRODS_PACKAGES=(
  iproute2 nftables iptables conntrack tcpdump procps psmisc util-linux
  curl wget jq openssl ca-certificates python3 bc
  nginx redis-server redis-tools zookeeper
  openjdk-17-jdk-headless maven wrk
  qemu-system-x86 ipvsadm cpio kmod
  debootstrap   # the images' Debian bases (images/build-base.sh)
)

# Installs the missing packages. Services are never started by the package scripts: the lab starts
# its own copies inside namespaces, and a host-wide nginx on port 80 would be a surprise.
install_packages() {
  require_root
  require_debian
  local missing=() pkg
  for pkg in "${TRODS_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    info "Debian packages: all ${#TRODS_PACKAGES[@]} present"
    return 0
  fi
  say "Installing Debian packages: ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by trods setup while installing packages: do not start services\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } || rc=$?
  [ "$created_policy" -eq 1 ] && rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install failed (exit $rc)"
}

# Checks, by using them once in a throwaway namespace, the kernel features the lab needs.
# Cheap (a fraction of a second) and far clearer than a failure halfway through `lab up`.
check_kernel() {
  local ns=trods-probe$$ err
  ip netns del "$ns" 2>/dev/null || true
  if ! err=$( {
      ip netns add "$ns" &&
      ip -n "$ns" link add p0 type veth peer name p1 &&
      ip -n "$ns" link add br0 type bridge &&
      ip -n "$ns" link set p1 master br0 &&
      ip -n "$ns" link set p0 up &&
      tc -n "$ns" qdisc add dev p0 root tbf rate 10mbit burst 32kb latency 50ms &&
      ip netns exec "$ns" nft -f - <<<$'table ip probe {\n chain pre {\n  type nat hook prerouting priority dstnat;\n  ip daddr 192.0.2.1 tcp dport 80 dnat to numgen inc mod 2 map { 0 : 192.0.2.2, 1 : 192.0.2.3 }\n }\n}' &&
      ip netns exec "$ns" conntrack -L >/dev/null
    } 2>&1 ); then
    ip netns del "$ns" 2>/dev/null || true
    die "the kernel lacks a feature the lab needs (network namespaces, veth, bridge, tc tbf, nftables NAT, conntrack): $err"
  fi
  ip netns del "$ns"
}

# Builds the Java components once; later runs only rebuild what changed (Maven's own up-to-date checks).
build_java() {
  say "Building the Java components (mvn package, tests are run by ./trods test)"
  (cd "$TRODS_HOME" && mvn -B -q -ntp -DskipTests package) || die "the build failed"
}
