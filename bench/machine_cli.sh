#!/usr/bin/env bash
# `berth machine` as a user meets it, under software emulation. Issue 5's targets:
#   create -> `docker run --rm busybox echo hello` on it   <= 15 s without KVM (median of RUNS)
#   `berth machine ls` with 10 machines                    <= 0.5 s (states queried concurrently)
#   `berth machine env`                                    <= 50 ms
# Part 1, RUNS times: `berth machine create -d libvirt --libvirt-network user` (the real CLI, user-mode
# networking: SSH and the engine are forwarded to 127.0.0.1 only), then `eval $(berth machine env)`,
# `docker load -i busybox.tar` (no registry here: the image comes from the build) and
# `docker run --rm busybox echo hello`, then rm. Breakdown from create's own step times:
#   boot       create started -> the guest agent answered (VM defined, kernel, init, agent)
#   provision  -> SSH reached, the machine's binaries and configuration compared (and copied when
#              they differ: a machine from this build's image has them already)
#   engine     -> berthd answered /_ping over mutual TLS with the client certificate
#   load, run  the two docker commands
# Part 2: 10 machines created concurrently (256 MiB each), then `berth machine ls` (median of 5) and
# `berth machine env` (median of 20) with all of them running; then all removed.
#
# Usage (root): bench/machine_cli.sh [RUNS] [MACHINES]   (defaults 3 and 10). Finishes by itself;
# removes every machine it made, on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
export BERTH_BUILD_DIR=${BERTH_BUILD_DIR:-$PWD/build}
runs=${1:-3}
count=${2:-10}
berth=$BERTH_BUILD_DIR/bin/berth
busybox_tar=$BERTH_BUILD_DIR/images/busybox.tar
[ "$(id -u)" -eq 0 ] || { echo "bench/machine_cli.sh: run as root (libvirt qemu:///system)"; exit 1; }
for f in "$berth" "$busybox_tar" "$BERTH_BUILD_DIR/images/vm/initramfs.img"; do
  [ -e "$f" ] || { echo "missing $f: scripts/build"; exit 1; }
done
# shellcheck source=../tests/fixtures/libvirtd.sh
source tests/fixtures/libvirtd.sh

work=$(mktemp -d /tmp/bmachXXXXXX)
chmod 0711 "$work"   # QEMU (libvirt-qemu) reaches the pool under it
export BERTH_STORAGE_PATH=$work/store
pool=berth-bench-$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')
unset DOCKER_HOST DOCKER_CERT_PATH DOCKER_TLS_VERIFY
cleanup() {
  set +e
  if [ -d "$BERTH_STORAGE_PATH/machines" ]; then
    # shellcheck disable=SC2046
    timeout 300 "$berth" machine rm -f -y $(ls "$BERTH_STORAGE_PATH/machines") > /dev/null 2>&1
  fi
  timeout 20 virsh -c qemu:///system pool-destroy "$pool" > /dev/null 2>&1
  timeout 20 virsh -c qemu:///system pool-undefine "$pool" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
med() { printf '%s\n' "$@" | median; }
# step_at LOG TEXT: the elapsed seconds create printed for the step starting with TEXT.
step_at() { sed -n "s/^\\[ *\\([0-9.]*\\)s\\] $2.*/\\1/p" "$1" | head -n 1; }
create_opts=(-d libvirt --libvirt-network user --disk-size 2 --libvirt-pool "$pool"
             --libvirt-pool-path "$work/pool")

libvirtd_ensure_host || { echo "libvirtd on qemu:///system is not available"; exit 1; }

echo "== create -> docker run hello, $runs runs, 1 vCPU, 512 MiB, software emulation"
echo "   (load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
row() { printf '%-6s %7s %9s %7s %7s %7s %7s\n' "$@"; }
row run boot provision engine load run total
declare -a c_boot c_prov c_engine c_load c_run c_total
for ((i = 1; i <= runs; i++)); do
  name=bench-$i
  log=$work/create-$i.log
  t0=$(now)
  timeout 300 "$berth" machine create "${create_opts[@]}" --memory 512 "$name" > "$log" 2>&1 ||
    { echo "create failed:"; cat "$log"; exit 1; }
  t_created=$(since "$t0")
  booted=$(step_at "$log" 'Waiting for SSH')
  checked=$(step_at "$log" 'Checking the engine over TLS')
  eval "$("$berth" machine env --shell bash "$name")"
  t1=$(now)
  timeout 120 docker load -i "$busybox_tar" > /dev/null
  t_load=$(since "$t1")
  t2=$(now)
  out=$(timeout 120 docker run --rm busybox echo hello)
  t_run=$(since "$t2")
  t_total=$(since "$t0")
  [ "$out" = hello ] || { echo "docker run printed '$out', not hello"; exit 1; }
  unset DOCKER_HOST DOCKER_CERT_PATH DOCKER_TLS_VERIFY
  prov=$(awk -v a="$booted" -v b="$checked" 'BEGIN { printf "%.2f", b - a }')
  engine=$(awk -v a="$checked" -v b="$t_created" 'BEGIN { printf "%.2f", b - a }')
  row "$i" "$booted" "$prov" "$engine" "$t_load" "$t_run" "$t_total"
  c_boot+=("$booted") c_prov+=("$prov") c_engine+=("$engine") c_load+=("$t_load")
  c_run+=("$t_run") c_total+=("$t_total")
  timeout 300 "$berth" machine rm -f -y "$name" > /dev/null
done
row median "$(med "${c_boot[@]}")" "$(med "${c_prov[@]}")" "$(med "${c_engine[@]}")" \
  "$(med "${c_load[@]}")" "$(med "${c_run[@]}")" "$(med "${c_total[@]}")"
echo "create -> docker run hello: $(med "${c_total[@]}") s median (target <= 15 s without KVM)"

echo
echo "== $count machines (256 MiB each), created concurrently"
names=()
for ((i = 1; i <= count; i++)); do names+=("many-$i"); done
t0=$(now)
pids=()
for name in "${names[@]}"; do
  timeout 600 "$berth" machine create "${create_opts[@]}" --memory 256 "$name" > "$work/$name.log" 2>&1 &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" -eq 0 ] || { echo "a create failed:"; tail -n 3 "$work"/many-*.log; exit 1; }
echo "all $count created in $(since "$t0") s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
running=$("$berth" machine ls --filter state=Running --quiet | wc -l)
[ "$running" -eq "$count" ] || { echo "ls shows $running of $count Running"; "$berth" machine ls; exit 1; }
"$berth" machine ls | sed 's/^/   /'
declare -a c_ls c_env
for ((i = 0; i < 5; i++)); do
  t0=$(now)
  "$berth" machine ls > /dev/null
  c_ls+=("$(since "$t0")")
done
for ((i = 0; i < 20; i++)); do
  t0=$(now)
  "$berth" machine env many-1 > /dev/null
  c_env+=("$(since "$t0")")
done
ls_s=$(med "${c_ls[@]}")
env_ms=$(awk -v s="$(med "${c_env[@]}")" 'BEGIN { printf "%.0f", s * 1000 }')
echo "berth machine ls, $count running: $ls_s s median of 5 (target <= 0.5 s)"
echo "berth machine env:                $env_ms ms median of 20 (target <= 50 ms)"
t0=$(now)
timeout 600 "$berth" machine rm -f -y "${names[@]}" > /dev/null
echo "rm of all $count:                  $(since "$t0") s"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
