#!/usr/bin/env bash
# docker update (limits reach the cgroup; dockerd's refusals leave everything as it was), docker commit
# (comment, history), docker info (fields as dockerd fills them), docker system df (shared and
# reclaimable sizes) and the volume endpoints, against berthd. Expected values are what Debian's
# dockerd 20.10 prints for the same commands. Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"

cgroup_v2=false
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && cgroup_v2=true
# A file of a container's cgroup: <controller> <file> <container> (v1: the controller's hierarchy).
cgroup_file() {
  local controller=$1 file=$2 pid path
  pid=$(d inspect -f '{{.State.Pid}}' "$3")
  if $cgroup_v2; then
    path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
    cat "/sys/fs/cgroup$path/$file"
  else
    path=$(awk -F: -v c="$controller" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
    cat "/sys/fs/cgroup/$controller$path/$file"
  fi
}
memory_limit() { if $cgroup_v2; then cgroup_file memory memory.max "$1"; else cgroup_file memory memory.limit_in_bytes "$1"; fi; }
# Memory plus swap, as docker's --memory-swap counts it (v2 keeps the swap alone in memory.swap.max).
memsw_limit() {
  if $cgroup_v2; then
    echo $(($(cgroup_file memory memory.swap.max "$1") + $(memory_limit "$1")))
  else
    cgroup_file memory memory.memsw.limit_in_bytes "$1"
  fi
}
cpuset_cpus() { if $cgroup_v2; then cgroup_file cpuset cpuset.cpus "$1"; else cgroup_file cpuset cpuset.cpus "$1"; fi; }
limits() { d inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpusetCpus}}' "$1"; }

# ---- update: limits reach the cgroup ----
capture d run -d --name upd busybox sleep 300
expect_eq "run -d upd exits 0" "$RC" 0
cid=$OUT
capture d update --memory 10m upd
expect_eq "update --memory alone over an unset swap: dockerd's conflict" "$RC:$ERR" \
  "1:Error response from daemon: Cannot update container $cid: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
capture d update --memory 10m --memory-swap 20m upd
expect_eq "update --memory 10m --memory-swap 20m prints the name" "$OUT:$RC" "upd:0"
expect_eq "update: memory limit in the cgroup" "$(memory_limit upd)" 10485760
expect_eq "update: memory+swap limit in the cgroup" "$(memsw_limit upd)" 20971520
host_cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus 2>/dev/null || cat /sys/fs/cgroup/cpuset.cpus.effective)
if [ "$(nproc)" -ge 2 ]; then
  capture d update --cpuset-cpus 1 upd
  expect_eq "update --cpuset-cpus 1 exits 0" "$RC" 0
  expect_eq "update: cpuset.cpus in the cgroup" "$(cpuset_cpus upd)" 1
  expected_cpus=1
else
  expected_cpus=
fi
expect_eq "inspect shows the updated limits" "$(limits upd)" "10485760 20971520 $expected_cpus"

# ---- update: dockerd's refusals change nothing ----
capture d update --cpuset-cpus 99 upd
expect_eq "update --cpuset-cpus 99: dockerd's refusal" "$RC:$ERR" \
  "1:Error response from daemon: Requested CPUs are not available - requested 99, available: $host_cpus"
capture d update --memory 10m --memory-swap 5m upd
expect_eq "update with swap below memory: dockerd's refusal" "$RC:$ERR" \
  "1:Error response from daemon: Minimum memoryswap limit should be larger than memory limit, see usage"
capture d update --memory 30m --memory-swap 40m --cpuset-cpus 99 upd
expect_eq "a refused update with valid parts exits 1" "$RC" 1
capture d update --memory 30m upd
expect_eq "update --memory above the stored swap: dockerd's conflict" "$RC:$ERR" \
  "1:Error response from daemon: Cannot update container $cid: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
expect_eq "refused updates leave the stored limits" "$(limits upd)" "10485760 20971520 $expected_cpus"
expect_eq "refused updates leave the memory limit" "$(memory_limit upd)" 10485760
expect_eq "refused updates leave memory+swap" "$(memsw_limit upd)" 20971520
if [ -n "$expected_cpus" ]; then
  expect_eq "refused updates leave cpuset.cpus" "$(cpuset_cpus upd)" 1
fi
capture d update --memory-swap 40m upd
expect_eq "update --memory-swap alone exits 0" "$RC" 0
expect_eq "update --memory-swap alone: memory+swap in the cgroup" "$(memsw_limit upd)" 41943040
expect_eq "update --memory-swap alone: memory limit kept" "$(memory_limit upd)" 10485760

# ---- system df: an image in use reclaims nothing ----
capture d system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Reclaimable}}'
expect_eq "system df: Images line (used by a container: 0B reclaimable)" "$(sed -n 1p <<<"$OUT")" "Images|1|1|0B (0%)"
capture d system df -v --format '{{range .Images}}{{.Repository}} {{.SharedSize}} {{.UniqueSize}} {{.Size}} {{.Containers}}{{end}}'
# (The CLI prints UNIQUE SIZE with 4 significant digits, SIZE with 3: 1.983MB and 1.98MB.)
expect_match "system df -v: shared 0B, a unique size, one container" "$OUT" '^busybox 0B [0-9.]+[kMG]?B [0-9.]+[kMG]?B 1$'
capture d system df -v
expect_not_contains "system df -v: no N/A sizes" "$OUT" "N/A"

# ---- commit: comment and history as dockerd records them ----
capture d commit -m "my message" -c 'CMD ["echo","hi"]' upd committed
expect_match "commit prints the new image ID" "$OUT" '^sha256:[0-9a-f]{64}$'
capture d image inspect -f '{{.Comment}}|{{json .Config.Cmd}}' committed
expect_eq "commit -m: image inspect shows the comment; -c sets Cmd" "$OUT" 'my message|["echo","hi"]'
capture d history --no-trunc --format '{{.CreatedBy}}|{{.Comment}}' committed
expect_eq "history of the committed layer: the container's command and the comment" \
  "$(sed -n 1p <<<"$OUT")" "sleep 300|my message"
d rm -f upd >/dev/null

# ---- info: fields as dockerd fills them ----
default_runtime=$(d info --format '{{.DefaultRuntime}}')
runtime_commit=$("$default_runtime" --version | sed -n 's/^commit: *//p')
capture d info --format '{{.RuncCommit.ID}}'
expect_eq "info: RuncCommit.ID is the runtime's commit line" "$OUT" "${runtime_commit:-N/A}"
capture d info
expect_contains "docker info: runc version line" "$OUT" $'\n runc version: '"${runtime_commit:-N/A}"$'\n'
expect_not_contains "docker info: no doubled 'runc version'" "$OUT" "version: runc version"
expect_contains "docker info: not in debug mode (a debug log level is not debug mode)" "$OUT" $'\n Debug Mode: false\n'
expect_not_contains "docker info: unusable runtimes are no warning" "$OUT$ERR" "unusable"
capture d info --format '{{.Debug}}|{{json .Warnings}}'
expect_match "info: Debug false; warnings only dockerd's" "$OUT" '^false\|(null|\[\]|\["WARNING: IPv4 forwarding is disabled"\])$'
capture d info --format '{{.InitBinary}}'
expect_match "info: InitBinary is a name, as dockerd's docker-init" "$OUT" '^[^/]*$'
if ! $cgroup_v2 && [ -e /sys/fs/cgroup/memory/memory.oom_control ]; then oom=true; else oom=false; fi
capture d info --format '{{.OomKillDisable}}'
expect_eq "info: OomKillDisable as the kernel supports it" "$OUT" "$oom"

# ---- volumes: not implemented yet, answered consistently ----
capture d volume ls
expect_eq "volume ls: docker's header, no volumes" "$(tr -s ' ' <<<"$OUT"):$RC" "DRIVER VOLUME NAME:0"
capture d volume prune -f
expect_eq "volume prune -f: nothing reclaimed, docker's format" "$OUT:$RC" "Total reclaimed space: 0B:0"
capture d volume create myvol
expect_eq "volume create exits 1" "$RC" 1
expect_contains "volume create: not supported yet" "$ERR" "named volumes are not supported yet"
capture d volume ls --filter nosuch=x
expect_eq "volume ls with an unknown filter: dockerd's refusal" "$RC:$ERR" "1:Error response from daemon: Invalid filter 'nosuch'"
capture d volume prune -f --filter nosuch=x
expect_eq "volume prune with an unknown filter: dockerd's refusal" "$RC:$ERR" "1:Error response from daemon: Invalid filter 'nosuch'"
capture d volume rm nosuchvol
expect_eq "volume rm of a missing volume" "$RC:$ERR" "1:Error response from daemon: get nosuchvol: no such volume"
capture d volume inspect nosuchvol
expect_eq "volume inspect of a missing volume" "$RC:$ERR" "1:Error response from daemon: get nosuchvol: no such volume"

assert_finish
