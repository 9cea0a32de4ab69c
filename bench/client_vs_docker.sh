#!/usr/bin/env bash
# The berth client against the docker CLI 28 (the one on PATH), side by side in one run against the
# same berthd (in its own network namespace, through the fixture), with 5 containers running so ps
# has rows to print. Prints the medians and the ratios issue 6 sets:
#   berth version vs docker version   target berth <= 0.5 x docker's wall time
#   berth ps      vs docker ps        target <= 0.5 x
# Usage (root): bench/client_vs_docker.sh [RUNS]   (default 21 runs for the medians)
# BERTH_BUILD_DIR picks berthd and busybox.tar (default build/); BERTH_CLIENT_BIN the berth binary
# (default $BERTH_BUILD_DIR/bin/berth).
set -euo pipefail
cd "$(dirname "$0")/.."
export BERTH_BUILD_DIR=${BERTH_BUILD_DIR:-$PWD/build}
berth_bin=${BERTH_CLIENT_BIN:-$BERTH_BUILD_DIR/bin/berth}
runs=${1:-21}

# shellcheck source=../tests/fixtures/berthd-in-netns.sh
source tests/fixtures/berthd-in-netns.sh
trap 'berthd_netns_stop' EXIT

berthd_netns_start
berthd_netns_docker load -i "$BERTH_BUILD_DIR/images/busybox.tar" >/dev/null
for i in 1 2 3 4 5; do berthd_netns_docker run -d --name "bench$i" busybox sleep 600 >/dev/null; done

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

client_env() { env -u DOCKER_API_VERSION -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH \
  DOCKER_HOST="$BERTH_BERTHD_HOST" DOCKER_CONFIG="$BERTH_BERTHD_DIR/client" "$@"; }

# median wall time in microseconds of RUNS invocations; berth and docker alternate, so both see the
# same machine load.
declare -A samples
measure() {
  local label=$1; shift
  local t0
  t0=$(now_ns)
  client_env "$@" >/dev/null
  samples[$label]+="$((($(now_ns) - t0) / 1000)) "
}
for ((i = 0; i < runs; i++)); do
  measure berth_version "$berth_bin" version
  measure docker_version docker version
  measure berth_ps "$berth_bin" ps
  measure docker_ps docker ps
done

printf '%-10s %14s %14s %8s %s\n' command "berth (ms)" "docker (ms)" ratio target
for cmd in version ps; do
  b=$(tr ' ' '\n' <<<"${samples[berth_$cmd]}" | grep . | median)
  d=$(tr ' ' '\n' <<<"${samples[docker_$cmd]}" | grep . | median)
  printf '%-10s %14.2f %14.2f %8s %s\n' "$cmd" "$(awk -v x="$b" 'BEGIN{print x/1000}')" \
    "$(awk -v x="$d" 'BEGIN{print x/1000}')" "$(ratio "$b" "$d")" "<= 0.5"
done
echo "(median of $runs runs each, same berthd, 5 running containers)"
