#!/usr/bin/env bash
# ./trods lab: a small object-delivery cluster in network namespaces on this machine.
# See README.md ("The lab") for the interface; lab/lib/topology.sh for names and addresses.
set -euo pipefail

TRODS_HOME=${TRODS_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# shellcheck source=lib/common.sh
source "$TRODS_HOME/lab/lib/common.sh"
# shellcheck source=lib/topology.sh
source "$TRODS_HOME/lab/lib/topology.sh"
# shellcheck source=lib/hosts.sh
source "$TRODS_HOME/lab/lib/hosts.sh"
# shellcheck source=lib/control.sh
source "$TRODS_HOME/lab/lib/control.sh"
# shellcheck source=lib/director.sh
source "$TRODS_HOME/lab/lib/director.sh"
# shellcheck source=lib/docroot.sh
source "$TRODS_HOME/lab/lib/docroot.sh"
# shellcheck source=lib/cds.sh
source "$TRODS_HOME/lab/lib/cds.sh"

# How long lab up waits for the JVMs it started (agents, monitors, lb-plugin) to be ready. They all
# start at once: 4 agents, 2 monitors, the lb-plugin and ZooKeeper on 2 slow cores took over 60 s
# in CI (with 3 agents, one logged "Started ... in 39.753 seconds"). Waits end as soon as they are ready.
JVM_START_SECONDS=${TRODS_LAB_START_SECONDS:-180}

usage() {
  cat <<'USAGE'
usage: ./trods lab COMMAND

  up [--servers N] [--rate RATE] [--docroot DIR] [--baseline] [--control trods|static]
     [--balancer nftables|ipvs] [--forwarding nat|dr]
                         create the cluster: client, balancer (VIP) with the lb-plugin, N web
                         servers (default 2) each with nginx and a recovery agent, two liveness
                         monitors, store (Redis, ZooKeeper); the client's link is limited to RATE
                         (tc syntax such as 40mbit, default 40mbit; "none" for no limit)
                         --baseline: the same without TRODS (no agents, no monitors, no plugin;
                         the balancer's table is static)
                         --control static: agents, but the balancer's table is changed by hand
                         (lab pool remove/add) instead of by the monitors and the lb-plugin
                         --balancer ipvs: the balancer is a real IPVS director (Debian's kernel
                         under qemu, lab/ipvs/; built and cached at the first use), programmed
                         by the lb-plugin through the guest's serial port; default nftables
                         --forwarding dr (with --balancer ipvs): direct routing, LVS's usual mode
                         for object delivery: the servers hold the VIP on lo, see the client's
                         packets unchanged and answer through a router of the switch, past the
                         director; default nat
  down                   remove everything the lab created (idempotent)
  prepare                train the JVMs' class-data-sharing archives now (lab up does it for
                         jars that have none; lab/lib/cds.sh, TRODS_LAB_CDS=off to not use them)
  status [--json]        hosts, addresses, processes and health; objects with their SHA-256
  exec HOST -- CMD...    run CMD inside HOST (client, balancer, serverN, monitorN, store)
  crash HOST...          crash-stop HOSTs: their links go dark (all at once), their processes are killed
  revive HOST            bring a crashed HOST back, empty (fresh namespace and processes)
  pool                   the servers the balancer's kernel sends new connections to
  pool drain|undrain HOST, pool weight HOST N
                         an operator's action, through the leading liveness monitor
  pool remove|add HOST   (--control static, --baseline) change the balancer's table by hand;
                         remove also deletes the server's conntrack entries and has the
                         survivors' agents prompt its clients (--no-prompt: not)
USAGE
}

# Serialises the commands that change the lab; a second `up` waits for nothing and fails clearly.
take_lock() {
  exec 9>"$LAB_LOCK"
  flock -n 9 || die "another ./trods lab command is changing the lab right now; try again when it ends"
}

lab_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep "^${LAB_NS_PREFIX}" || true; }

load_state() {
  [ -f "$LAB_STATE/lab.env" ] || die "the lab is not up (start it with ./trods lab up)"
  # shellcheck source=/dev/null
  source "$LAB_STATE/lab.env"
}

lab_hosts() {
  local i
  printf '%s\n' client balancer
  for ((i = 1; i <= LAB_SERVERS; i++)); do echo "server$i"; done
  if [ "${LAB_CONTROL:-static}" = trods ]; then
    for ((i = 1; i <= LAB_MONITORS; i++)); do echo "monitor$i"; done
  fi
  echo store
}

check_host() {
  # Not "lab_hosts | grep -q": grep may exit first and, with pipefail, fail the pipe (SIGPIPE).
  lab_role "$1" >/dev/null && grep -qx "$1" <<<"$(lab_hosts)" ||
    die "no host '$1' in the lab (hosts: $(lab_hosts | tr '\n' ' '))"
}

cmd_up() {
  local servers=2 rate=40mbit docroot="" agents=on control="" balancer=nftables forwarding=nat
  while [ $# -gt 0 ]; do
    case "$1" in
      --servers) servers=${2:?--servers needs a number}; shift 2 ;;
      --rate) rate=${2:?--rate needs a rate such as 40mbit}; shift 2 ;;
      --docroot) docroot=${2:?--docroot needs a directory}; shift 2 ;;
      --baseline) agents=off; shift ;;
      --control) control=${2:?--control needs trods or static}; shift 2 ;;
      --balancer) balancer=${2:?--balancer needs nftables or ipvs}; shift 2 ;;
      --forwarding) forwarding=${2:?--forwarding needs nat or dr}; shift 2 ;;
      -h | --help) usage; exit 0 ;;
      *) die "lab up: unknown argument '$1' (see ./trods lab --help)" ;;
    esac
  done
  [[ "$servers" =~ ^[0-9]+$ ]] && [ "$servers" -ge 2 ] && [ "$servers" -le 50 ] ||
    die "--servers must be a number from 2 to 50 (got '$servers')"
  [[ "$rate" =~ ^[0-9]+(bit|kbit|mbit|gbit)$ || "$rate" = none ]] ||
    die "--rate must be a tc rate such as 800kbit, 40mbit, 1gbit, or none (got '$rate')"
  [ -n "$control" ] || { if [ "$agents" = on ]; then control=trods; else control=static; fi; }
  [ "$control" = trods ] || [ "$control" = static ] || die "--control must be trods or static (got '$control')"
  [ "$balancer" = nftables ] || [ "$balancer" = ipvs ] || die "--balancer must be nftables or ipvs (got '$balancer')"
  [ "$forwarding" = nat ] || [ "$forwarding" = dr ] || die "--forwarding must be nat or dr (got '$forwarding')"
  [ "$forwarding" = nat ] || [ "$balancer" = ipvs ] ||
    die "--forwarding dr needs --balancer ipvs (nftables balances by NAT only)"
  require_root
  take_lock

  if [ -f "$LAB_STATE/lab.env" ]; then
    # shellcheck source=/dev/null
    source "$LAB_STATE/lab.env"
    die "the lab is already up (since $LAB_SINCE, $LAB_SERVERS servers); ./trods lab down first"
  fi
  if [ -n "$(lab_namespaces)" ]; then
    warn "leftovers of an earlier lab found ($(lab_namespaces | tr '\n' ' ')): removing them first"
    teardown
  fi
  for cmd in ip nft tc nginx redis-server redis-cli java curl conntrack; do
    command -v "$cmd" >/dev/null || die "'$cmd' is missing: run ./trods setup"
  done
  [ -r /usr/share/java/zookeeper.jar ] || die "ZooKeeper (Debian package zookeeper) is missing: run ./trods setup"
  local jar
  [ "$agents" = off ] || [ -f "$TRODS_HOME/recovery-agent/target/recovery-agent.jar" ] ||
    die "the recovery agent is not built: run ./trods setup (or lab up --baseline)"
  if [ "$control" = trods ]; then
    for jar in liveness-monitor/target/liveness-monitor.jar lb-plugin/target/lb-plugin.jar; do
      [ -f "$TRODS_HOME/$jar" ] || die "$jar is not built: run ./trods setup (or lab up --control static)"
    done
  fi
  check_kernel
  if [ "$balancer" = ipvs ]; then
    [ -c /dev/net/tun ] || die "--balancer ipvs needs /dev/net/tun (the guest's taps)"
    "$TRODS_HOME/lab/ipvs/build-guest.sh" 9>&- || die "could not build the IPVS director guest (lab/ipvs/build-guest.sh)"
  fi

  if [ -z "$docroot" ]; then
    docroot=$LAB_DEFAULT_DOCROOT
    ensure_default_docroot "$docroot"
  else
    [ -d "$docroot" ] || die "--docroot '$docroot' is not a directory"
    docroot=$(cd "$docroot" && pwd)
    su -s /bin/sh www-data -c "test -r '$docroot' -a -x '$docroot'" 2>/dev/null ||
      warn "nginx's workers (user www-data) may not be able to read $docroot"
  fi

  # From here on, a failure or an interrupt leaves nothing behind.
  UP_DONE=0
  trap '[ "$UP_DONE" = 1 ] || { echo "lab up failed or was interrupted: removing what it created" >&2; teardown; }' EXIT
  trap 'exit 130' INT TERM
  say "Creating the lab: $servers servers, client link ${rate}, docroot $docroot, balancer $balancer ($forwarding)"
  mkdir -p "$LAB_STATE"
  prepare_class_sharing "$agents" "$control"
  create_switch
  LAB_SERVERS=$servers
  LAB_AGENTS=$agents
  LAB_CONTROL=$control
  LAB_BALANCER=$balancer
  LAB_FORWARDING=$forwarding
  LAB_AGENT_ARGS=${TRODS_LAB_AGENT_ARGS:-}
  LAB_MONITOR_ARGS=${TRODS_LAB_MONITOR_ARGS:-}
  LAB_PLUGIN_ARGS=${TRODS_LAB_PLUGIN_ARGS:-}
  [ "$forwarding" = nat ] || create_reply_router
  make_admin_password
  for ((i = 1; i <= servers; i++)); do echo "server$i"; done >"$LAB_STATE/pool"
  local host
  while read -r host; do create_host "$host"; done < <(lab_hosts)
  limit_client_link "$rate"
  configure_balancer
  say "Starting services: Redis and ZooKeeper on store, nginx$([ "$agents" = off ] || echo " and a recovery agent") on each server$([ "$control" = static ] || echo ", $LAB_MONITORS liveness monitors, the lb-plugin on the balancer")"
  start_services store ""
  for ((i = 1; i <= servers; i++)); do start_services "server$i" "$docroot"; done
  if [ "$control" = trods ]; then
    for ((i = 1; i <= LAB_MONITORS; i++)); do start_services "monitor$i" ""; done
    start_services balancer ""
  fi
  if [ "$agents" = on ]; then
    for ((i = 1; i <= servers; i++)); do wait_until "$JVM_START_SECONDS" "the recovery agent on server$i" agent_healthy "server$i"; done
  fi
  if [ "$control" = trods ]; then
    for ((i = 1; i <= LAB_MONITORS; i++)); do wait_until "$JVM_START_SECONDS" "the liveness monitor on monitor$i" monitor_healthy "monitor$i"; done
    wait_until "$JVM_START_SECONDS" "the lb-plugin on the balancer" plugin_healthy
    wait_until 60 "every server in the balancer's table (published by the monitor, applied by the lb-plugin)" all_servers_balanced
  fi
  list_objects "$docroot" >"$LAB_STATE/objects.txt"
  ns_exec client curl -s -m 5 -o /dev/null "http://$LAB_VIP:$LAB_PORT/healthz" ||
    die "the VIP does not answer from the client"
  cat >"$LAB_STATE/lab.env" <<ENV
LAB_SERVERS=$servers
LAB_RATE=$rate
LAB_AGENTS=$agents
LAB_CONTROL=$control
LAB_BALANCER=$balancer
LAB_FORWARDING=$forwarding
LAB_AGENT_ARGS="${LAB_AGENT_ARGS:-}"
LAB_MONITOR_ARGS="${LAB_MONITOR_ARGS:-}"
LAB_PLUGIN_ARGS="${LAB_PLUGIN_ARGS:-}"
LAB_DOCROOT=$docroot
LAB_SINCE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ENV
  UP_DONE=1
  trap - EXIT INT TERM
  cmd_status
}

# Removes every namespace of the lab (and with them their links, rules and conntrack tables) after
# killing their processes by PID. Safe to run at any time, any number of times.
teardown() {
  local ns
  for ns in $(lab_namespaces); do
    kill_host_processes "${ns#"$LAB_NS_PREFIX"}"
  done
  for ns in $(lab_namespaces); do
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$LAB_STATE"
}

# Trains the class-data-sharing archives of the jars this lab will start (see lib/cds.sh), in
# parallel, with settings that name nothing reachable.
prepare_class_sharing() {
  local agents=$1 control=$2 none=127.0.0.1:1
  if [ "$agents" = on ]; then
    cds_train agent "$TRODS_HOME/recovery-agent/target/recovery-agent.jar" --trods.agent.server-id=cds \
      --spring.data.redis.host=127.0.0.1 --spring.data.redis.port=1 --trods.agent.virtual-address="$LAB_VIP" \
      --trods.agent.control.zookeeper-connect="$none" --trods.agent.control.advertised-address=127.0.0.2 \
      --trods.agent.health-check-sources=127.0.0.2 &
  fi
  if [ "$control" = trods ]; then
    cds_train monitor "$TRODS_HOME/liveness-monitor/target/liveness-monitor.jar" --trods.monitor.id=cds \
      --trods.monitor.zookeeper.connect="$none" --trods.monitor.services[0].name=web \
      --trods.monitor.services[0].address="$LAB_VIP" --trods.monitor.services[0].port="$LAB_PORT" &
    cds_train plugin "$TRODS_HOME/lb-plugin/target/lb-plugin.jar" --trods.balancer.zookeeper.connect="$none" \
      --trods.balancer.director-id=cds --trods.balancer.driver=nftables --trods.balancer.nftables.backend-interface=lo &
  fi
  wait
}

cmd_down() {
  require_root
  take_lock
  local left
  left=$(lab_namespaces | tr '\n' ' ')
  teardown
  if [ -n "${left// /}" ]; then say "Lab down: removed ${left% }"; else say "Lab down: nothing to remove"; fi
}

cmd_crash() {
  [ $# -gt 0 ] || die "usage: ./trods lab crash HOST..."
  require_root
  take_lock
  load_state
  local host t0 port batch=""
  for host in "$@"; do
    check_host "$host"
    [ "$host" != client ] || die "crash is for the cluster's hosts (balancer, servers, monitors, store), not the client"
    [ ! -f "$(host_dir "$host")/crashed" ] || die "$host has already crashed; ./trods lab revive $host"
    for port in $(lab_ports "$host"); do batch+="link set $port down"$'\n'; done
  done
  t0=$(now_ms)
  # Links first, all in one instant: from now on nothing the hosts do reaches anyone, not even the
  # FIN or RST that their kernels send for the sockets of the processes killed next.
  printf '%s' "$batch" | ip -n "$LAB_SWITCH" -batch -
  for host in "$@"; do
    kill_host_processes "$host"
    echo "$t0" >"$(host_dir "$host")/crashed"
  done
  say "Crashed $* at $(date -u -d "@${t0:0:10}" +%H:%M:%S).${t0:10:3} (epoch ms $t0): links down, processes killed"
}

cmd_revive() {
  local host=${1:?usage: ./trods lab revive HOST}
  require_root
  take_lock
  load_state
  check_host "$host"
  [ -f "$(host_dir "$host")/crashed" ] || die "$host has not crashed; nothing to revive"
  local port
  kill_host_processes "$host"
  # Deleting a veth end deletes its peer; done here because a namespace's links vanish only some time
  # after `ip netns del` returns, and the new links reuse their names.
  for port in $(lab_ports "$host"); do ip -n "$LAB_SWITCH" link del "$port" 2>/dev/null || true; done
  ip netns del "$(lab_ns "$host")"
  rm -rf "$(host_dir "$host")"
  create_host "$host"
  [ "$host" != balancer ] || configure_balancer
  start_services "$host" "$LAB_DOCROOT"
  [ "$(lab_role "$host")" != server ] || [ "$LAB_AGENTS" = off ] || wait_until "$JVM_START_SECONDS" "the agent on $host" agent_healthy "$host"
  [ "$(lab_role "$host")" != monitor ] || wait_until "$JVM_START_SECONDS" "the monitor on $host" monitor_healthy "$host"
  [ "$host" != balancer ] || [ "$LAB_CONTROL" = static ] || wait_until "$JVM_START_SECONDS" "the lb-plugin" plugin_healthy
  say "Revived $host (empty: new namespace, new processes)"
}

cmd_exec() {
  local host=${1:?usage: ./trods lab exec HOST -- CMD...}
  shift
  [ "${1:-}" = -- ] && shift
  [ $# -gt 0 ] || die "usage: ./trods lab exec HOST -- CMD..."
  require_root
  load_state
  check_host "$host"
  exec ip netns exec "$(lab_ns "$host")" "$@"
}

cmd_pool() {
  require_root
  load_state
  local action=${1:-} host=${2:-} prompt=1
  [ "${3:-}" != --no-prompt ] || prompt=0
  if [ -z "$action" ]; then
    cmd_pool_list
    return 0
  fi
  take_lock
  check_host "$host"
  [ "$(lab_role "$host")" = server ] || die "only servers are in the pool"
  if [ "$LAB_CONTROL" = trods ]; then
    case "$action" in
      drain | undrain) monitor_action "$action" "$host" ;;
      weight) [[ "${3:-}" =~ ^[0-9]+$ ]] || die "usage: ./trods lab pool weight HOST N"; monitor_action weight "$host" "$3" ;;
      remove | add) die "the liveness monitors decide the pool in this lab: crash or drain the server instead (or lab up --control static)" ;;
      *) die "usage: ./trods lab pool [drain|undrain HOST | weight HOST N]" ;;
    esac
    say "Asked the leading monitor to $action $host"
    return 0
  fi
  case "$action" in
    remove)
      pool_members | grep -vx "$host" >"$LAB_STATE/pool.new" || true
      mv "$LAB_STATE/pool.new" "$LAB_STATE/pool"
      configure_balancer
      # Its connections' next packets must be balanced afresh, to a survivor.
      ns_exec balancer conntrack -D --reply-src "$(lab_addr "$host")" >/dev/null 2>&1 || true
      say "Removed $host from the balancer's pool ($(pool_members | tr '\n' ' '))"
      [ "$prompt" = 0 ] || prompt_survivors "$host"
      ;;
    add)
      { pool_members; echo "$host"; } | sort -u -V >"$LAB_STATE/pool.new"
      mv "$LAB_STATE/pool.new" "$LAB_STATE/pool"
      configure_balancer
      say "Added $host to the balancer's pool ($(pool_members | tr '\n' ' '))"
      ;;
    *) die "usage: ./trods lab pool [remove|add HOST]" ;;
  esac
}

# Tells the survivors' agents that $1 was taken out, so that they prompt its clients now (what
# the agents will do on the liveness monitor's published decision).
prompt_survivors() {
  local failed=$1 survivor answer
  [ "$LAB_AGENTS" = on ] || return 0
  for survivor in $(pool_members); do
    answer=$(ns_exec "$survivor" curl -s -m 10 -u "$LAB_ADMIN_USER:$(admin_password)" -X POST \
      "http://127.0.0.1:$LAB_AGENT_PORT/actuator/prompt/$failed" || true)
    info "$survivor's agent: ${answer:-no answer}"
  done
}

cmd_pool_list() { if [ "$LAB_CONTROL" = trods ]; then balancer_backends; else pool_members; fi; }

host_state() { if [ -f "$(host_dir "$1")/crashed" ]; then echo crashed; else echo up; fi; }

cmd_status() {
  local json=0
  [ "${1:-}" = --json ] && json=1
  require_root
  if [ ! -f "$LAB_STATE/lab.env" ]; then
    if [ "$json" -eq 1 ]; then jq -n '{up: false}'; else say "The lab is not up"; fi
    [ -z "$(lab_namespaces)" ] || warn "leftover namespaces: $(lab_namespaces | tr '\n' ' ') (./trods lab down removes them)"
    return 0
  fi
  load_state
  if [ "$json" -eq 1 ]; then status_json; else status_text; fi
}

status_text() {
  local host procs
  say "TRODS lab: up since $LAB_SINCE, $LAB_SERVERS servers, client link $LAB_RATE, agents $LAB_AGENTS, control $LAB_CONTROL, balancer ${LAB_BALANCER:-nftables} (${LAB_FORWARDING:-nat})"
  info "VIP $LAB_VIP port $LAB_PORT: http://$LAB_VIP/   docroot $LAB_DOCROOT"
  printf '    %-10s %-9s %-16s %-13s %-8s %s\n' HOST ROLE NAMESPACE ADDRESS STATE PROCESSES
  while read -r host; do
    procs=$(host_processes "$host" | awk '{printf "%s%s[%s] %s", (NR>1?", ":""), $1, $2, ($3=="true"?"healthy":"NOT HEALTHY")}')
    if [ "$host" = balancer ]; then
      if [ "$LAB_CONTROL" = static ]; then procs="${procs:+$procs; }${LAB_BALANCER:-nftables} ${LAB_FORWARDING:-nat} of the VIP to: $(pool_members | tr '\n' ' ')"
      else procs+="; the VIP goes to: $(balancer_backends | tr '\n' ' ')"; fi
    fi
    printf '    %-10s %-9s %-16s %-13s %-8s %s\n' "$host" "$(lab_role "$host")" "$(lab_ns "$host")" \
      "$(lab_addr "$host")" "$(host_state "$host")" "${procs:--}"
  done < <(lab_hosts)
  info "objects (GET http://$LAB_VIP/PATH from the client):"
  awk '{printf "      %-24s %12d  sha256 %s\n", $1, $2, $3}' "$LAB_STATE/objects.txt"
}

status_json() {
  local host hosts="" procs
  while read -r host; do
    procs=$(host_processes "$host" | jq -Rn '[inputs | split(" ") |
      {name: .[0], pid: (if .[1] == "-" then null else (.[1] | tonumber) end), healthy: (.[2] == "true")}]')
    hosts+=$(jq -n --arg name "$host" --arg role "$(lab_role "$host")" --arg ns "$(lab_ns "$host")" \
      --arg address "$(lab_addr "$host")" --arg state "$(host_state "$host")" --argjson procs "$procs" \
      '{name: $name, role: $role, namespace: $ns, address: $address, state: $state, processes: $procs}')
  done < <(lab_hosts)
  jq -n --arg vip "$LAB_VIP" --argjson port "$LAB_PORT" --arg since "$LAB_SINCE" --arg rate "$LAB_RATE" \
    --arg docroot "$LAB_DOCROOT" --argjson hosts "$(jq -s . <<<"$hosts")" \
    --argjson objects "$(jq -Rn '[inputs | split(" ") | {path: .[0], size: (.[1] | tonumber), sha256: .[2]}]' <"$LAB_STATE/objects.txt")" \
    --arg redis "$LAB_STORE_ADDR:$LAB_REDIS_PORT" --arg zk "$LAB_STORE_ADDR:$LAB_ZK_PORT" \
    --arg agents "$LAB_AGENTS" --arg balancer "${LAB_BALANCER:-nftables}" --arg forwarding "${LAB_FORWARDING:-nat}" --argjson pool "$(cmd_pool_list | jq -Rn '[inputs]')" --arg control "$LAB_CONTROL" \
    '{up: true, since: $since, agents: ($agents == "on"), control: $control, balancer: $balancer, forwarding: $forwarding, pool: $pool, vip: $vip, port: $port, url: ("http://" + $vip + (if $port == 80 then "" else ":" + ($port | tostring) end) + "/"),
      rate: $rate, docroot: $docroot, redis: $redis, zookeeper: $zk, hosts: $hosts, objects: $objects}'
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    prepare) require_root; take_lock; prepare_class_sharing on trods ;;
    status) cmd_status "$@" ;;
    exec) cmd_exec "$@" ;;
    crash) cmd_crash "$@" ;;
    revive) cmd_revive "$@" ;;
    pool) cmd_pool "$@" ;;
    "" | -h | --help | help) usage ;;
    *) usage >&2; die "unknown lab command '$cmd'" ;;
  esac
}

main "$@"
