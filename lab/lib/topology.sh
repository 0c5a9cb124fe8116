# shellcheck shell=bash
# The lab's fixed names and addresses. One place, so that the scripts, the docs and the tests agree.
# Addresses come from 198.18.0.0/15, the range RFC 2544 reserves for benchmarking network devices:
# it cannot collide with a real network the machine is attached to.

LAB_STATE=${LAB_STATE:-/run/trods-lab}     # tmpfs: gone after a reboot, like the namespaces
LAB_LOCK=/run/trods-lab.lock
LAB_NS_PREFIX=trods-
LAB_SWITCH=${LAB_NS_PREFIX}switch           # the two bridges (front and back) live in this namespace

LAB_FRONT_NET=198.18.0
LAB_BACK_NET=198.19.0
LAB_VIP=198.18.0.10
LAB_PORT=80
LAB_BALANCER_FRONT=198.18.0.1
LAB_BALANCER_BACK=198.19.0.1
LAB_BALANCER_MGMT=198.19.0.9               # --balancer ipvs: the balancer host's own address (the guest has .1)
LAB_ROUTER_FRONT=198.18.0.254              # --forwarding dr: the switch routes the servers' replies to the
LAB_ROUTER_BACK=198.19.0.254               # client itself, past the director, as a DR cluster's router does
LAB_CLIENT_ADDR=198.18.0.2
LAB_STORE_ADDR=198.19.0.2
LAB_REDIS_PORT=6379
LAB_ZK_PORT=2181
LAB_MONITORS=2                                 # liveness monitors, one leader and a follower
LAB_AGENT_PORT=9101                            # actuator ports, on 127.0.0.1 inside each host
LAB_PLUGIN_PORT=9102
LAB_MONITOR_PORT=9103
LAB_DEFAULT_DOCROOT=/var/lib/trods/lab-docroot

lab_ns() { echo "${LAB_NS_PREFIX}$1"; }

# serverN -> 198.19.0.(10+N); monitorN -> 198.19.0.(2+N)
lab_server_addr() { echo "${LAB_BACK_NET}.$((10 + ${1#server}))"; }
lab_monitor_addr() { echo "${LAB_BACK_NET}.$((2 + ${1#monitor}))"; }

lab_role() {
  case "$1" in
    client) echo client ;;
    balancer) echo balancer ;;
    store) echo store ;;
    server[0-9]*) echo server ;;
    monitor[0-9]*) echo monitor ;;
    *) return 1 ;;
  esac
}

lab_addr() {
  case "$1" in
    client) echo "$LAB_CLIENT_ADDR" ;;
    balancer) echo "$LAB_BALANCER_FRONT" ;;
    store) echo "$LAB_STORE_ADDR" ;;
    server[0-9]*) lab_server_addr "$1" ;;
    monitor[0-9]*) lab_monitor_addr "$1" ;;
  esac
}

# The switch ports of a host: one per link (the balancer has one on each side).
lab_ports() {
  case "$1" in
    balancer) echo "p-balancer-f p-balancer-b" ;;
    *) echo "p-$1" ;;
  esac
}
