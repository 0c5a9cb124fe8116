# shellcheck shell=bash
# The balancer host with --balancer ipvs: a real IPVS director (Debian 12's kernel under qemu, see
# lab/ipvs/) takes the balancer's addresses. Inside the balancer's namespace the host's two links
# are bridged to the guest's two taps, so the guest sits on the front and back networks exactly
# where the nftables balancer would; the namespace keeps a management address on the back network
# (LAB_BALANCER_MGMT) so that the lb-plugin, which runs here and programs the guest through its
# serial control channel, reaches ZooKeeper. Crashing the balancer kills qemu with the plugin.

LAB_GUEST=guest                                # run-guest.sh NAME: state in $(host_dir balancer)/guest
guest_dir() { echo "$(host_dir balancer)/$LAB_GUEST"; }

# A shell command line in the director guest, through the scripts' control port.
guest() { "$TRODS_HOME/lab/ipvs/guestctl.py" "$(guest_dir)/admin.sock" --timeout 20 "$@"; }

guest_healthy() { local k; k=$(guest uname -r 2>/dev/null) && [ -n "$k" ]; }

create_ipvs_balancer() {
  local ns side
  ns=$(lab_ns balancer)
  for side in front back; do
    local port=p-balancer-${side:0:1} ifname=eth$([ "$side" = front ] && echo 0 || echo 1)
    ip link add "$port" netns "$LAB_SWITCH" type veth peer name "$ifname" netns "$ns"
    ip -n "$LAB_SWITCH" link set "$port" master "br-$side" up
    ip -n "$ns" link add "vm-$side" type bridge
    ip -n "$ns" tuntap add "tap-$side" mode tap
    ip -n "$ns" link set "$ifname" master "vm-$side" up
    ip -n "$ns" link set "tap-$side" master "vm-$side" up
    ip -n "$ns" link set "vm-$side" up
  done
  ip -n "$ns" addr add "$LAB_BALANCER_MGMT/24" dev vm-back
  # The guest boots in the balancer's namespace, so that crash and down (which kill a host's
  # processes by namespace) take it down with the plugin.
  IPVS_GUEST_RUN=$(host_dir balancer) ip netns exec "$ns" "$TRODS_HOME/lab/ipvs/run-guest.sh" "$LAB_GUEST" \
    --front tap-front --back tap-back --front-ip "$LAB_BALANCER_FRONT/24" --back-ip "$LAB_BALANCER_BACK/24" \
    --wait 120 9>&- >"$(host_dir balancer)/guest-boot.log" 2>&1 ||
    die "the IPVS director guest did not boot: $(tail -5 "$(host_dir balancer)/guest-boot.log")"
  cp "$(guest_dir)/qemu.pid" "$(host_dir balancer)/ipvs-director.pid"
  # The VIP on the front; the survivors' prompts (from the VIP, see configure_balancer) accepted on
  # the back.
  guest "ip addr add $LAB_VIP/32 dev eth0 && sysctl -qw net.ipv4.conf.eth1.accept_local=1 net.ipv4.conf.eth1.rp_filter=0 net.ipv4.conf.all.rp_filter=0" >/dev/null ||
    die "could not configure the IPVS director guest"
}

# --control static (or --baseline) with IPVS: the director settings and the table by hand (NAT or
# direct routing as --forwarding says, rr), changed by difference so that the remaining servers' connections stay where they are.
configure_ipvs_static() {
  local want=() have=() s addr cmd method=-m
  [ "${LAB_FORWARDING:-nat}" = nat ] || method=-g
  mapfile -t want < <(pool_members)
  mapfile -t have < <(ipvs_backend_addresses)
  cmd="sysctl -qw net.ipv4.ip_forward=1 net.ipv4.vs.sloppy_tcp=1 net.ipv4.vs.expire_nodest_conn=1 net.ipv4.vs.conntrack=0"
  cmd+=" && { ipvsadm -Ln -t $LAB_VIP:$LAB_PORT >/dev/null 2>&1 || ipvsadm -A -t $LAB_VIP:$LAB_PORT -s rr; }"
  for s in "${want[@]}"; do
    addr=$(lab_server_addr "$s")
    printf '%s\n' "${have[@]}" | grep -qx "$addr" || cmd+=" && ipvsadm -a -t $LAB_VIP:$LAB_PORT -r $addr:$LAB_PORT $method -w 1"
  done
  for addr in "${have[@]}"; do
    for s in "${want[@]}"; do [ "$(lab_server_addr "$s")" != "$addr" ] || continue 2; done
    cmd+=" && ipvsadm -d -t $LAB_VIP:$LAB_PORT -r $addr:$LAB_PORT"
  done
  guest "$cmd" >/dev/null || die "could not program the IPVS director guest"
}

# The real servers of the VIP in the guest's IPVS table (weight above 0), one address per line.
ipvs_backend_addresses() {
  local table
  table=$(guest ipvsadm -Ln -t "$LAB_VIP:$LAB_PORT" 2>/dev/null) || return 0
  awk '$1 == "->" && $2 ~ /^[0-9]/ && $4 > 0 { sub(/:[0-9]+$/, "", $2); print $2 }' <<<"$table"
}
