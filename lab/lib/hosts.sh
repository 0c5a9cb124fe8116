# shellcheck shell=bash
# Building blocks of the lab: namespaces, links, and the processes of each host.
# Every host is a network namespace named trods-HOST with one link (eth0) to a bridge in the switch
# namespace; the balancer has a second link (eth1). Nothing is created in the root namespace.

# fd 9 holds the lab's lock (lab.sh take_lock): daemons must not inherit it, or they would hold it forever.
ns_exec() { local host=$1; shift; ip netns exec "$(lab_ns "$host")" "$@" 9>&-; }

host_dir() { echo "$LAB_STATE/$1"; }

# Links a host to a bridge of the switch: the switch side is p-..., the host side is $ifname.
link_host() {
  local host=$1 port=$2 bridge=$3 ifname=$4 cidr=$5
  ip link add "$port" netns "$LAB_SWITCH" type veth peer name "$ifname" netns "$(lab_ns "$host")"
  ip -n "$LAB_SWITCH" link set "$port" master "$bridge" up
  # A MAC derived from the address, as a real machine keeps its NIC's: a revived host is then found
  # again at once instead of after the neighbours' ARP entries for the old one time out.
  local addr=${cidr%/*}
  # shellcheck disable=SC2086
  ip -n "$(lab_ns "$host")" link set "$ifname" address "$(printf '02:00:%02x:%02x:%02x:%02x' ${addr//./ })"
  ip -n "$(lab_ns "$host")" addr add "$cidr" dev "$ifname"
  ip -n "$(lab_ns "$host")" link set "$ifname" up
}

create_switch() {
  ip netns add "$LAB_SWITCH"
  ip -n "$LAB_SWITCH" link set lo up
  local br
  for br in br-front br-back; do
    ip -n "$LAB_SWITCH" link add "$br" type bridge
    ip -n "$LAB_SWITCH" link set "$br" up
  done
}

# --forwarding dr: the switch also routes between its two networks, and the servers' default route
# is this router, so that their replies (and the survivors' prompts) reach the client without
# crossing the director, which sees only the client's packets, as in a real DR cluster.
create_reply_router() {
  ip -n "$LAB_SWITCH" addr add "$LAB_ROUTER_FRONT/24" dev br-front
  ip -n "$LAB_SWITCH" addr add "$LAB_ROUTER_BACK/24" dev br-back
  ip netns exec "$LAB_SWITCH" sysctl -qw net.ipv4.ip_forward=1
}

# Rate-limits the client's link in both directions (tbf on the switch port toward the client, and on
# the client's own interface toward the switch), so that a large download lasts long enough to be
# interrupted.
limit_client_link() {
  local rate=$1
  [ "$rate" = none ] && return 0
  tc -n "$LAB_SWITCH" qdisc replace dev p-client root tbf rate "$rate" burst 64kb latency 100ms
  tc -n "$(lab_ns client)" qdisc replace dev eth0 root tbf rate "$rate" burst 64kb latency 100ms
}

create_host() {
  local host=$1 ns
  ns=$(lab_ns "$host")
  mkdir -p "$(host_dir "$host")"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  case "$(lab_role "$host")" in
    client)
      link_host client p-client br-front eth0 "$LAB_CLIENT_ADDR/24"
      ip -n "$ns" route add default via "$LAB_BALANCER_FRONT"
      ;;
    balancer)
      if [ "${LAB_BALANCER:-nftables}" = ipvs ]; then create_ipvs_balancer; return 0; fi
      link_host balancer p-balancer-f br-front eth0 "$LAB_BALANCER_FRONT/24"
      ip -n "$ns" addr add "$LAB_VIP/32" dev eth0
      link_host balancer p-balancer-b br-back eth1 "$LAB_BALANCER_BACK/24"
      ns_exec balancer sysctl -qw net.ipv4.ip_forward=1
      ;;
    server | store | monitor)
      link_host "$host" "p-$host" br-back eth0 "$(lab_addr "$host")/24"
      if [ "$(lab_role "$host")" = server ] && [ "${LAB_FORWARDING:-nat}" = dr ]; then
        ip -n "$ns" route add default via "$LAB_ROUTER_BACK"
        make_dr_real_server "$host"
      else
        ip -n "$ns" route add default via "$LAB_BALANCER_BACK"
      fi
      ;;
  esac
}

# Direct routing: the director hands the client's packets to a server's MAC address unchanged,
# addressed to the VIP, so each server holds the VIP on lo and must neither answer ARP for it nor
# announce it, or it would take the VIP from the director. The settings are the shipped file's
# (config/sysctl.d/90-trods-realserver-dr.conf), so the lab tests what operators install. The
# server's replies leave from the VIP through its default route, the switch's router.
make_dr_real_server() {
  ns_exec "$1" sysctl -q -p "$TRODS_HOME/config/sysctl.d/90-trods-realserver-dr.conf" >/dev/null ||
    die "could not apply the direct-routing settings on $1"
  ip -n "$(lab_ns "$1")" addr add "$LAB_VIP/32" dev lo
}

# The balancer's kernel settings, and with --control static (or --baseline) its table: the kernel's
# own L4 balancing, nftables DNAT of the VIP to the servers (NAT mode: the servers route their replies
# back through the balancer, where conntrack undoes the translation), round robin so that new
# connections visit every server. With the control plane, the lb-plugin owns the table (ip
# trods_balancer) and these scripts never touch it.
configure_balancer() {
  if [ "${LAB_BALANCER:-nftables}" = ipvs ]; then
    # The guest's own settings are made at its creation (lib/director.sh); the plugin owns its table.
    [ "${LAB_CONTROL:-static}" = trods ] || configure_ipvs_static
    return 0
  fi
  # A survivor's prompt to a failed server's client comes from the VIP (the address the client
  # knows): accept it on the servers' side although the VIP is ours. (Keeping it out of conntrack,
  # so that the client's answer is balanced afresh, is the table's job: the notrack rule below, or
  # the lb-plugin's.)
  ns_exec balancer sysctl -qw net.ipv4.conf.eth1.accept_local=1 net.ipv4.conf.eth1.rp_filter=0 \
    net.ipv4.conf.all.rp_filter=0
  [ "${LAB_CONTROL:-static}" = static ] || return 0
  local servers=() i map=""
  mapfile -t servers < <(pool_members)
  for ((i = 0; i < ${#servers[@]}; i++)); do
    map+="${map:+, }$i : $(lab_server_addr "${servers[$i]}")"
  done
  local rule="ip daddr $LAB_VIP tcp dport $LAB_PORT dnat to numgen inc mod ${#servers[@]} map { $map }"
  [ ${#servers[@]} -gt 0 ] || rule="ip daddr $LAB_VIP tcp dport $LAB_PORT reject with tcp reset"
  # A mid-stream packet of a connection conntrack does not know (its server was removed) is picked
  # up as a new connection and balanced afresh: that is how a survivor receives it.
  ns_exec balancer sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1
  ns_exec balancer nft -f - <<NFT
add table ip trods_lab
delete table ip trods_lab
table ip trods_lab {
  chain prompts {
    type filter hook prerouting priority raw; policy accept;
    iifname "eth1" ip saddr $LAB_VIP tcp sport $LAB_PORT notrack
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    $rule
  }
}
NFT
}

# The servers the balancer sends new connections to, one per line ($LAB_STATE/pool).
pool_members() { cat "$LAB_STATE/pool" 2>/dev/null || true; }

start_nginx() {
  local host=$1 docroot=$2 dir
  dir=$(host_dir "$host")
  mkdir -p "$dir"
  sed -e "s|@HOST@|$host|g" -e "s|@STATE@|$dir|g" -e "s|@DOCROOT@|$docroot|g" \
      -e "s|@PORT@|$LAB_PORT|g" -e "s|@TRODS_HOME@|$TRODS_HOME|g" \
      "$TRODS_HOME/lab/nginx-server.conf.in" >"$dir/nginx.conf"
  ns_exec "$host" nginx -q -c "$dir/nginx.conf" -e "$dir/nginx-error.log" ||
    die "nginx did not start on $host (see $dir/nginx-error.log)"
  wait_until 10 "nginx on $host" server_healthy "$host"
}

# The recovery agent beside nginx: the jar built by ./trods setup, run as root in the server's
# namespace; its actuator answers on 127.0.0.1:9101 inside that namespace. With the control plane it
# registers in the store's ZooKeeper (so that the monitors probe its server) and prompts on their
# decisions. LAB_AGENT_ARGS (from
# TRODS_LAB_AGENT_ARGS at lab up) adds settings, e.g. --trods.agent.zero-window=false.
# MetaspaceSize: the agent's classes take about 63 MB once traffic flows; at the default first
# threshold (21 MB) the classes its first downloads load set off full collections of 100-270 ms
# (measured in gc.log), which held write-ahead saves past their 200 ms. gc.log is kept beside agent.log.
start_agent() {
  local host=$1 dir jar=$TRODS_HOME/recovery-agent/target/recovery-agent.jar
  dir=$(host_dir "$host")
  [ -f "$jar" ] || die "the agent is not built ($jar): run ./trods setup, or lab up --baseline"
  local control=()
  if [ "${LAB_CONTROL:-static}" != static ]; then
    # The monitors' probes skip the agent's queues (see trods.agent.health-check-sources).
    local m checkers=""
    for ((m = 1; m <= LAB_MONITORS; m++)); do checkers+="${checkers:+,}$(lab_monitor_addr "monitor$m")"; done
    control=(--trods.agent.control.zookeeper-connect="$LAB_STORE_ADDR:$LAB_ZK_PORT"
      --trods.agent.health-check-sources="$checkers")
  fi
  cds_jar_args "$jar"
  TRODS_ADMIN_USER=$LAB_ADMIN_USER TRODS_ADMIN_PASSWORD=$(admin_password) \
    ip netns exec "$(lab_ns "$host")" setsid java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:MetaspaceSize=96m -Xlog:gc:file="$dir/gc.log" \
    "${JAR_ARGS[@]}" --trods.agent.server-id="$host" --spring.data.redis.host="$LAB_STORE_ADDR" \
    --trods.agent.virtual-address="$LAB_VIP" "${control[@]}" ${LAB_AGENT_ARGS:-} \
    --logging.file.name="$dir/agent.log" </dev/null >"$dir/agent.out" 2>&1 9>&- &
  echo $! >"$dir/agent.pid"
}

agent_healthy() {
  local h
  h=$(ns_exec "$1" curl -s -m 2 http://127.0.0.1:9101/actuator/health 2>/dev/null) && grep -q '"protected":true' <<<"$h"
}

start_redis() {
  local dir
  dir=$(host_dir store)
  ns_exec store redis-server --bind "$LAB_STORE_ADDR" 127.0.0.1 --port "$LAB_REDIS_PORT" \
    --protected-mode no --daemonize yes --pidfile "$dir/redis-server.pid" --logfile "$dir/redis.log" \
    --dir "$dir" --save '' --appendonly no >/dev/null ||
    die "redis-server did not start (see $dir/redis.log)"
  wait_until 10 "redis on store" redis_healthy
}

# A real single-node ZooKeeper, Debian's package, run directly (no systemd inside a namespace).
# A short tick allows the sub-second session timeouts that failure detection wants.
start_zookeeper() {
  local dir
  dir=$(host_dir store)
  mkdir -p "$dir/zookeeper"
  cat >"$dir/zoo.cfg" <<CFG
tickTime=250
initLimit=10
syncLimit=5
dataDir=$dir/zookeeper
clientPort=$LAB_ZK_PORT
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr,stat
CFG
  # Not through ns_exec: `ip netns exec` and setsid exec in place, so $! is ZooKeeper's own PID.
  ip netns exec "$(lab_ns store)" setsid java -Xmx192m -XX:+UseSerialGC -Dzookeeper.log.dir="$dir" \
    -cp "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
    </dev/null >"$dir/zookeeper.log" 2>&1 9>&- &
  echo $! >"$dir/zookeeper.pid"
  wait_until 30 "zookeeper on store" zookeeper_healthy
}

start_services() {
  local host=$1 docroot=$2
  case "$(lab_role "$host")" in
    server)
      start_nginx "$host" "$docroot"
      [ "${LAB_AGENTS:-on}" = off ] || start_agent "$host"
      ;;
    store) start_redis; start_zookeeper ;;
    monitor) start_monitor "$host" ;;
    balancer) [ "$LAB_CONTROL" = static ] || start_plugin ;;
  esac
}

# --- health -----------------------------------------------------------------------------------

server_healthy() {
  [ "$(ns_exec balancer curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$(lab_addr "$1"):$LAB_PORT/healthz")" = 200 ]
}

redis_healthy() {
  [ "$(ns_exec store redis-cli -h "$LAB_STORE_ADDR" -p "$LAB_REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

zookeeper_healthy() {
  [ "$(ns_exec store bash -c "exec 3<>/dev/tcp/$LAB_STORE_ADDR/$LAB_ZK_PORT && echo ruok >&3 && timeout 2 cat <&3" 2>/dev/null)" = imok ]
}

wait_until() {
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$(($(now_ms) + seconds * 1000))
  until "$@"; do
    [ "$(now_ms)" -lt "$deadline" ] || die "$what was not ready within ${seconds}s"
    sleep 0.1
  done
}

# --- processes --------------------------------------------------------------------------------

# Kills every process of a host's namespace, by PID, at once (SIGKILL: a crash, not a shutdown).
kill_host_processes() {
  local ns pids
  ns=$(lab_ns "$1")
  ip netns list | awk '{print $1}' | grep -qx "$ns" || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ' || true)
  [ -n "${pids// /}" ] || return 0
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null || true
  # SIGKILL is delivered at once but a process with many threads takes a moment to exit: wait, so
  # that "down" and "crash" mean gone when they return.
  local pid deadline=$(($(now_ms) + 5000))
  for pid in $pids; do
    while [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
      [ "$(now_ms)" -lt "$deadline" ] || { warn "process $pid survived SIGKILL for 5 s"; break; }
      sleep 0.02
    done
  done
}

# Name, PID and health of the processes of a host, one "name pid healthy" line each.
host_processes() {
  local host=$1 dir pid name healthy
  dir=$(host_dir "$host")
  [ ! -f "$dir/crashed" ] || return 0
  case "$(lab_role "$host")" in
    server) if [ "${LAB_AGENTS:-on}" = off ]; then set -- nginx; else set -- nginx agent; fi ;;
    store) set -- redis-server zookeeper ;;
    monitor) set -- monitor ;;
    balancer)
      set --
      [ "${LAB_BALANCER:-nftables}" = nftables ] || set -- ipvs-director
      [ "${LAB_CONTROL:-static}" = static ] || set -- "$@" lb-plugin
      ;;
    *) set -- ;;
  esac
  for name in "$@"; do
    pid=$(cat "$dir/$name.pid" 2>/dev/null || true)
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
      printf '%s - false\n' "$name"
      continue
    fi
    case "$name" in
      nginx) server_healthy "$host" && healthy=true || healthy=false ;;
      agent) agent_healthy "$host" && healthy=true || healthy=false ;;
      redis-server) redis_healthy && healthy=true || healthy=false ;;
      zookeeper) zookeeper_healthy && healthy=true || healthy=false ;;
      monitor) monitor_healthy "$host" && healthy=true || healthy=false ;;
      lb-plugin) plugin_healthy && healthy=true || healthy=false ;;
      ipvs-director) guest_healthy && healthy=true || healthy=false ;;
    esac
    printf '%s %s %s\n' "$name" "$pid" "$healthy"
  done
}
