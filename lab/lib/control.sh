# shellcheck shell=bash
# The lab's control plane (default, unless --baseline or --control static): two liveness monitors
# (hosts monitor1, monitor2 on the servers' network) that probe the servers and publish the desired
# backend set in the store's ZooKeeper, and the lb-plugin on the balancer that applies it to the
# kernel (nftables table ip trods_balancer). The agents register there and prompt on its decisions.
# Nothing in the lab scripts touches the balancer's table in this mode.

LAB_ADMIN_USER=admin
# The password of the actuators' write operations: made at `lab up`, readable by root only, handed
# to the processes through the environment (not argv, which every user can read in ps).
admin_password() { cat "$LAB_STATE/admin.password"; }

make_admin_password() {
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$LAB_STATE/admin.password")
}

zookeeper_connect() { echo "$LAB_STORE_ADDR:$LAB_ZK_PORT"; }

# A jar of ours run in a host's namespace, as root, its PID in $dir/$name.pid (setsid exec's in place).
start_jar() {
  local host=$1 name=$2 jar=$3 dir
  shift 3
  dir=$(host_dir "$host")
  [ -f "$jar" ] || die "$jar is not built: run ./trods setup"
  cds_jar_args "$jar"
  TRODS_ADMIN_USER=$LAB_ADMIN_USER TRODS_ADMIN_PASSWORD=$(admin_password) \
    ip netns exec "$(lab_ns "$host")" setsid java -Xms32m -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    "${JAR_ARGS[@]}" "$@" --logging.file.name="$dir/$name.log" </dev/null >"$dir/$name.out" 2>&1 9>&- &
  echo $! >"$dir/$name.pid"
}

start_monitor() {
  local host=$1
  start_jar "$host" monitor "$TRODS_HOME/liveness-monitor/target/liveness-monitor.jar" \
    --trods.monitor.id="$host" --trods.monitor.zookeeper.connect="$(zookeeper_connect)" \
    --trods.monitor.services[0].name=web --trods.monitor.services[0].address="$LAB_VIP" \
    --trods.monitor.services[0].port="$LAB_PORT" --trods.monitor.services[0].scheduler=rr \
    --trods.monitor.services[0].forwarding="${LAB_FORWARDING:-nat}" ${LAB_MONITOR_ARGS:-}
}

# The driver: nftables in the balancer's own namespace, or ipvsadm in the IPVS director guest
# through its serial control port (--balancer ipvs).
start_plugin() {
  local driver=(--trods.balancer.driver=nftables --trods.balancer.nftables.backend-interface=eth1)
  [ "${LAB_BALANCER:-nftables}" = nftables ] ||
    driver=(--trods.balancer.driver=ipvs --trods.balancer.ipvs.command-channel="serial:$(guest_dir)/ctl.sock")
  start_jar balancer lb-plugin "$TRODS_HOME/lb-plugin/target/lb-plugin.jar" \
    --trods.balancer.zookeeper.connect="$(zookeeper_connect)" --trods.balancer.director-id=balancer \
    "${driver[@]}" --trods.balancer.manage-sysctls=true ${LAB_PLUGIN_ARGS:-}
}

actuator() { ns_exec "$1" curl -s -m 2 "http://127.0.0.1:$2/actuator/$3" 2>/dev/null; }

# Captured, then matched: "curl | grep -q" can fail the pipe with SIGPIPE under pipefail.
monitor_healthy() { local h; h=$(actuator "$1" "$LAB_MONITOR_PORT" health) && grep -q '"status":"UP"' <<<"$h"; }
plugin_healthy() { local h; h=$(actuator balancer "$LAB_PLUGIN_PORT" health) && grep -q '"status":"UP"' <<<"$h"; }

# The monitor that leads now (from any live monitor's pool view), or nothing.
leader_monitor() {
  local m leader
  for ((m = 1; m <= LAB_MONITORS; m++)); do
    [ ! -f "$(host_dir "monitor$m")/crashed" ] || continue
    leader=$(actuator "monitor$m" "$LAB_MONITOR_PORT" pool | jq -r '.leader // empty' 2>/dev/null || true)
    [ -z "$leader" ] || { echo "$leader"; return 0; }
  done
  return 1
}

# The servers that the balancer's kernel table sends new connections to, one per line.
balancer_backends() {
  local table host
  if [ "${LAB_BALANCER:-nftables}" = ipvs ]; then
    table=$(ipvs_backend_addresses)
    for ((host = 1; host <= LAB_SERVERS; host++)); do
      grep -qx "$(lab_server_addr "server$host")" <<<"$table" && echo "server$host"
    done
    return 0
  fi
  table=$(ns_exec balancer nft list table ip trods_balancer 2>/dev/null) || return 0
  for ((host = 1; host <= LAB_SERVERS; host++)); do
    grep -qw "$(lab_server_addr "server$host")" <<<"$table" && echo "server$host"
  done
  return 0
}

all_servers_balanced() { [ "$(balancer_backends | wc -l)" -eq "$LAB_SERVERS" ]; }

# An operator's action on a server through the leading monitor: drain, undrain, or weight N.
monitor_action() {
  local action=$1 host=$2 weight=${3:-} leader body
  leader=$(leader_monitor) || die "no liveness monitor leads right now"
  body=$(jq -nc --arg a "$action" --arg w "$weight" '{action: $a} + (if $w == "" then {} else {weight: ($w | tonumber)} end)')
  ns_exec "$leader" curl -s -m 5 -f -u "$LAB_ADMIN_USER:$(admin_password)" -H 'Content-Type: application/json' \
    -X POST -d "$body" "http://127.0.0.1:$LAB_MONITOR_PORT/actuator/pool/$host" >/dev/null ||
    die "the monitor ($leader) refused to $action $host"
}
