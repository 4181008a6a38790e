#!/usr/bin/env bash
# localcluster.sh — a one-machine Slurm cluster for testing launch/slurm/txf-train.sbatch:
# munged, slurmctld and one slurmd for this host, all run as root from a private state
# directory, so nothing in /etc is read or changed.
#
# Usage (as root; needs Debian's slurmctld slurmd slurm-client munge):
#   launch/slurm/localcluster.sh up DIR     # write DIR/slurm.conf, start the daemons, wait for the node
#   export SLURM_CONF=DIR/slurm.conf        # then sbatch, squeue, scontrol, scancel talk to it
#   launch/slurm/localcluster.sh down DIR   # stop the daemons (DIR stays, with their logs)
#
# The node is this host (`hostname -s`) with CPUs=$(nproc), one partition "local".
# Chosen for a container without systemd or cgroup delegation: ProctrackType=proctrack/linuxproc
# (finds a job's processes by parentage), TaskPlugin=task/none (no binding or cgroups),
# SelectType=select/cons_tres with CR_Core, no accounting. Ports: $TXF_SLURM_PORT (slurmctld,
# default 6817) and the next one (slurmd). Exit status: 0 when up (or down), 1 otherwise,
# with the daemons' log files named.
set -euo pipefail

command="${1:-}"
dir="${2:-}"
if [[ -z "$command" || -z "$dir" || ( "$command" != up && "$command" != down ) ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 64
fi

daemons=(slurmd slurmctld munged)

stop() {  # SIGTERM to each daemon at once (slurmctld takes seconds to save its state), then wait
  local name pid running=()
  for name in "${daemons[@]}"; do
    [[ -s "$dir/$name.pid" ]] || continue
    pid=$(<"$dir/$name.pid")
    if kill -TERM "$pid" 2>/dev/null; then running+=("$pid"); fi
    rm -f "$dir/$name.pid"
  done
  for pid in "${running[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

if [[ "$command" == down ]]; then
  stop
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  echo "localcluster: must run as root (slurmd starts jobs as their user)" >&2
  exit 1
fi
for tool in munged slurmctld slurmd sinfo; do
  command -v "$tool" >/dev/null || { echo "localcluster: $tool not found; install slurmctld slurmd slurm-client munge" >&2; exit 1; }
done

mkdir -p "$dir"/{munge,ctld,spool}
chmod 700 "$dir" "$dir/munge"
dir=$(cd "$dir" && pwd)
host=$(hostname -s)
port="${TXF_SLURM_PORT:-6817}"
socket="$dir/munge/munge.socket"

if [[ ! -s "$dir/munge/munge.key" ]]; then
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
fi
cat > "$dir/slurm.conf" <<EOF
ClusterName=txflocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued job waits cred_expire seconds (default 120) before it may start again: the
# revoked credential of its first start must lapse first.
AuthInfo=socket=$socket,cred_expire=5
# The main scheduling loop every 2 s (default 60), so the requeued job starts once it may.
SchedulerParameters=sched_interval=2
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
KillWait=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/slurm.conf"

fail() {
  echo "localcluster: $1; logs: $dir/munged.log $dir/slurmctld.log $dir/slurmd.log" >&2
  stop
  exit 1
}

# A daemon must not keep the descriptors this script inherited: a parent that learns of the
# script's end from EOF on one of them (Foundation's Process does) would wait for the daemon.
detached() {
  local fd closes=()
  for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    if ((fd > 2 && fd != 255)); then closes+=("$fd>&-"); fi  # 255: bash's own, close-on-exec
  done
  eval '"$@" < /dev/null' "${closes[*]}"
}

detached munged --force --socket="$socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed" || fail "munged did not start"
detached slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
detached slurmd -f "$SLURM_CONF" || fail "slurmd did not start"

# The node registers with slurmctld within a second or two; its state then reads "idle".
for _ in $(seq 150); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  [[ "$state" == idle ]] && exit 0
  sleep 0.2
done
fail "node $host not idle after 30 s (state '${state:-none}')"
