#!/usr/bin/env bash
# testcluster.sh — N "hosts" on this machine, as network namespaces on one bridge, so that
# `mpirun --hostfile` places ranks on different hosts whose traffic goes over TCP.
#
# Usage (as root):
#   launch/testcluster.sh up N            # hosts txf-h1 … txf-hN at 10.213.0.2 … 10.213.0.(N+1)
#   launch/testcluster.sh status          # hosts, links, shaping, and the mpirun options to use
#   launch/testcluster.sh shape RATE [DELAY]  # e.g. shape 1gbit 100us; shape 10gbit
#   launch/testcluster.sh unshape
#   launch/testcluster.sh down            # removes everything; idempotent
#
# Each host K is a network namespace txf-hK holding one end of a veth pair (eth0, NET.(K+1)/24)
# whose other end (txf-hK in the root namespace) is a port of the bridge txf-br (NET.1/24), so
# mpirun in the root namespace reaches every daemon and the hosts reach each other; nothing is
# routed or forwarded beyond that range. launch/testcluster-agent is the `ssh` that mpirun uses to
# start its daemon on a host (`--mca plm_rsh_agent`): inside the host's network namespace, with
# the host's name (UTS namespace) and a mount namespace where STATE/local shows that host's
# private directory (STATE/hosts/txf-hK/local), the rest of the file system shared as over NFS.
#
# State lives in one directory, printed by `up` and `status`: STATE/hosts (names, for /etc/hosts
# inside the hosts), STATE/hostfile (for mpirun, `slots=` per host), STATE/mpirun-args (the
# options mpirun needs, one per line), STATE/hosts/txf-hK/local (the private directories).
# Shaping uses tc on both ends of every veth: netem (rate and delay) where the kernel has it,
# else tbf (rate only; the delay is then not applied and `shape` says so).
#
# Environment: TXF_CLUSTER (name prefix, default txf: hosts txf-h1…, bridge txf-br, state
# /run/txf-testcluster), TXF_CLUSTER_NET (first three octets, default 10.213.0),
# TXF_CLUSTER_SLOTS (slots per host in the hostfile, default 1).
set -euo pipefail

name="${TXF_CLUSTER:-txf}"
net="${TXF_CLUSTER_NET:-10.213.0}"
state="/run/${name}-testcluster"
bridge="${name}-br"
agent="$(cd "$(dirname "$0")" && pwd)/testcluster-agent"

die() { echo "testcluster: $*" >&2; exit 1; }
host() { echo "${name}-h$1"; }                # host K's name, namespace and root-side veth
address() { echo "${net}.$(($1 + 1))"; }      # host K's address; NET.1 is the bridge
hosts_up() { cat "$state/count" 2>/dev/null || echo 0; }

up() {
  local count="$1" k h
  [[ "$count" =~ ^[1-9][0-9]*$ ]] && ((count <= 200)) || die "up needs a host count from 1 to 200, got '$count'"
  [[ "$(id -u)" == 0 ]] || die "up needs root (network namespaces)"
  ((${#name} <= 9)) || die "TXF_CLUSTER '$name' is longer than 9 characters (interface names hold 15)"
  command -v ip >/dev/null || die "ip not found; install iproute2"
  [[ -e "$state" ]] && die "$state exists: the cluster is up (launch/testcluster.sh down first)"
  mkdir -p "$state/hosts"
  echo "$count" > "$state/count"
  ip link add "$bridge" type bridge
  ip addr add "${net}.1/24" dev "$bridge"
  ip link set "$bridge" up
  mkdir -p "$state/local"    # the mount point each host's private directory is bound on
  printf '127.0.0.1\tlocalhost\n%s.1\t%s-root\n' "$net" "$name" > "$state/hosts-file"
  : > "$state/hostfile"
  for ((k = 1; k <= count; k++)); do
    h=$(host "$k")
    mkdir -p "$state/hosts/$h/local"
    ip netns add "$h"
    ip link add "$h" type veth peer name "${h}p"
    ip link set "${h}p" netns "$h"
    ip -n "$h" link set "${h}p" name eth0
    ip -n "$h" addr add "$(address "$k")/24" dev eth0
    ip -n "$h" link set lo up
    ip -n "$h" link set eth0 up
    ip link set "$h" master "$bridge"
    ip link set "$h" up
    printf '%s\t%s\n' "$(address "$k")" "$h" >> "$state/hosts-file"
    echo "$h slots=${TXF_CLUSTER_SLOTS:-1}" >> "$state/hostfile"
  done
  printf '%s\n' --hostfile "$state/hostfile" \
    --mca plm_rsh_agent "$agent" --mca plm_rsh_no_tree_spawn 1 --mca orte_leave_session_attached 1 \
    --mca btl tcp,self --mca btl_tcp_if_include "${net}.0/24" --mca oob_tcp_if_include "${net}.0/24" \
    > "$state/mpirun-args"
  status
}

down() {
  local k h count
  count=$(hosts_up)
  # Namespaces are found by name too, so a half-made cluster (a failed `up`) goes as well.
  for h in $( (ip netns list 2>/dev/null || true) | awk -v p="^${name}-h[0-9]+$" '$1 ~ p { print $1 }'); do
    ip netns pids "$h" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$h" 2>/dev/null || true
  done
  for ((k = 1; k <= count; k++)); do ip link del "$(host "$k")" 2>/dev/null || true; done
  ip link del "$bridge" 2>/dev/null || true
  rm -rf "$state"
  echo "testcluster: down ($state removed)"
}

status() {
  local count k h link
  count=$(hosts_up)
  ((count > 0)) || { echo "testcluster: down (no $state)"; return 0; }
  echo "testcluster: $count hosts, state in $state"
  for ((k = 1; k <= count; k++)); do
    h=$(host "$k")
    link=$(ip -br link show dev "$h" 2>/dev/null | awk '{ print $2 }')
    echo "  $h $(address "$k") link ${link:-missing}$(ip netns pids "$h" 2>/dev/null | wc -l | awk '$1 > 0 { print ", " $1 " processes" }')"
  done
  if [[ -f "$state/shape" ]]; then echo "  shaped: $(cat "$state/shape")"; fi
  echo "  mpirun options: $(tr '\n' ' ' < "$state/mpirun-args")"
}

# Bytes per second for a tc rate such as 10gbit, 100mbit or 500kbit.
rate_bytes() {
  local value unit
  [[ "$1" =~ ^([0-9]+)(gbit|mbit|kbit|bit)$ ]] || die "RATE must look like 10gbit, 100mbit or 500kbit, got '$1'"
  value=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
  case "$unit" in
    gbit) echo $((value * 125000000)) ;; mbit) echo $((value * 125000)) ;;
    kbit) echo $((value * 125)) ;; bit) echo $((value / 8)) ;;
  esac
}

shape() {
  local rate="$1" delay="${2:-0}" count k h burst qdisc note=""
  count=$(hosts_up)
  ((count > 0)) || die "the cluster is down"
  # A token bucket of ~4 ms of traffic (at least 64 KiB): larger than one timer tick at any
  # kernel HZ, so the rate is reached, small enough to smooth to it.
  burst=$(($(rate_bytes "$rate") / 250)); ((burst >= 65536)) || burst=65536
  if tc qdisc replace dev "$(host 1)" root netem delay 0 2>/dev/null; then
    qdisc=(netem rate "$rate" delay "$delay" limit 100000)
  else
    qdisc=(tbf rate "$rate" burst "$burst" latency 100ms)
    [[ "$delay" == 0 ]] || note=" (no delay: this kernel has no netem, CONFIG_NET_SCH_NETEM)"
  fi
  for ((k = 1; k <= count; k++)); do
    h=$(host "$k")
    tc qdisc replace dev "$h" root "${qdisc[@]}"          # towards host K
    tc -n "$h" qdisc replace dev eth0 root "${qdisc[@]}"  # from host K
  done
  echo "${qdisc[*]} on both ends of every link$note" | tee "$state/shape"
}

unshape() {
  local count k h
  count=$(hosts_up)
  for ((k = 1; k <= count; k++)); do
    h=$(host "$k")
    tc qdisc del dev "$h" root 2>/dev/null || true
    tc -n "$h" qdisc del dev eth0 root 2>/dev/null || true
  done
  rm -f "$state/shape"
  echo "testcluster: unshaped"
}

case "${1:-}" in
  up) [[ $# -eq 2 ]] || die "usage: up N"; up "$2" ;;
  down) down ;;
  status) status ;;
  shape) [[ $# -ge 2 && $# -le 3 ]] || die "usage: shape RATE [DELAY]"; shape "$2" "${3:-0}" ;;
  unshape) unshape ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 64 ;;
esac
