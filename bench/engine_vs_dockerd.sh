#!/usr/bin/env bash
# berthd against dockerd 20.10 (Debian docker.io), side by side in one run, same runc, same image, each
# engine in a network namespace of its own. Prints the figures issue 3 sets and their ratios:
#   run --rm --network none busybox true (median)   target berthd <= 0.25 x dockerd
#     (and the floor under it for any engine on runc: runc run of the same spec + docker version)
#   run --rm busybox true on the default bridge      target <= 0.3 x
#   50 x run -d, then docker ps -a                    target <= 0.5 x each (ps: the CLI wall time, and
#                                                     the engine's own answer to its request by curl)
#   idle RSS, 10 running containers, engine + shims   target <= 0.1 x (dockerd + containerd + shims)
# Both engines confine containers with their default seccomp profile, as users get them. runc
# compiles that profile in every start; with runc 1.1 the 32-bit x86 section alone costs ~6 ms and
# the x32 one ~8 ms (berthd leaves x32 out where the kernel cannot run it; dockerd 20.10 always
# includes it). One more line shows the none-network run with seccomp=unconfined on both sides: the
# engines' own cost without the filter compilation.
# Usage (root): bench/engine_vs_dockerd.sh [RUNS]   (default 11 runs for the medians)
set -euo pipefail
cd "$(dirname "$0")/.."
export BERTH_BUILD_DIR=${BERTH_BUILD_DIR:-$PWD/build}
runs=${1:-11}
image=$BERTH_BUILD_DIR/images/busybox.tar

# shellcheck source=../tests/fixtures/dockerd-in-netns.sh
source tests/fixtures/dockerd-in-netns.sh
# shellcheck source=../tests/fixtures/berthd-in-netns.sh
source tests/fixtures/berthd-in-netns.sh
cleanup() { berthd_netns_stop || true; dockerd_netns_stop || true; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

# time_runs CLIENT_FN ARGS... : median wall ms of RUNS invocations of `CLIENT_FN ARGS`.
time_runs() {
  local fn=$1; shift
  local i t0
  for ((i = 0; i < runs; i++)); do
    t0=$(now_ms)
    "$fn" "$@" >/dev/null
    echo $(($(now_ms) - t0))
  done | median
}

# time_pair ARGS... : "DOCKERD_MS BERTHD_MS", the medians of RUNS invocations of `docker ARGS` against
# each engine, taken in turns (dockerd, berthd, dockerd, ...). On a shared machine the load drifts
# within seconds; timing all of one engine's runs and then all of the other's would put that drift
# into the ratio.
time_pair() {
  local i t0 d=() b=()
  for ((i = 0; i < runs; i++)); do
    t0=$(now_ms)
    dockerd_netns_docker "$@" >/dev/null
    d+=($(($(now_ms) - t0)))
    t0=$(now_ms)
    berthd_netns_docker "$@" >/dev/null
    b+=($(($(now_ms) - t0)))
  done
  echo "$(printf '%s\n' "${d[@]}" | median) $(printf '%s\n' "${b[@]}" | median)"
}

# RSS in kB of every process whose command line matches one of the patterns.
rss_of() {
  local total=0 pid rss
  for pid in $(pgrep -f "$1" || true); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${rss:-0}))
  done
  echo "$total"
}

echo "== starting dockerd 20.10 (with its docker0 bridge inside its own netns) and berthd"
BERTH_DOCKERD_NETWORK=bridge dockerd_netns_start
berthd_netns_start
dockerd_netns_docker load -qi "$image" >/dev/null
berthd_netns_docker load -qi "$image" >/dev/null
# Warm both (first-run costs: layer mounts, caches).
dockerd_netns_docker run --rm --network none busybox true
berthd_netns_docker run --rm --network none busybox true

echo "== run --rm --network none busybox true, median of $runs (the engines take turns)"
read -r d_none b_none < <(time_pair run --rm --network none busybox true)
echo "dockerd ${d_none} ms   berthd ${b_none} ms   ratio $(ratio "$b_none" "$d_none") (target <= 0.25)"

echo "== the same with --security-opt seccomp=unconfined on both (no filter to compile; for reference)"
read -r d_unconf b_unconf < <(time_pair run --rm --network none --security-opt seccomp=unconfined busybox true)
echo "dockerd ${d_unconf} ms   berthd ${b_unconf} ms   ratio $(ratio "$b_unconf" "$d_unconf")"

# The floor under the none-network figure for any engine that runs runc: runc itself running the
# very container berthd would run (its OCI spec, `true` as the process, to exit, deleted), plus the
# docker CLI's own start-up and one request (`docker version`). What an engine adds sits above it.
# berthd takes runc's wait for the kernel's cgroup attach lock off the path
# (engine/containers/cgroup_attach_warmer.hpp); this bare `runc run` still pays it (~8 ms here).
echo "== the floor under that figure: runc run of berthd's spec for it, plus docker version"
floor_bundle=$(mktemp -d)
floor_root=$(mktemp -d)
floor_id=$(berthd_netns_docker run -d --network none busybox sleep 600)
python3 - "$BERTH_BERTHD_EXEC/containers/$floor_id" "$floor_bundle" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1] + "/config.json"))
spec["process"]["args"] = ["true"]
spec["root"]["path"] = sys.argv[1] + "/rootfs"
spec["linux"]["cgroupsPath"] = "/berth-bench-floor"
json.dump(spec, open(sys.argv[2] + "/config.json", "w"))
PY
runc_run() { runc --root "$floor_root" run --bundle "$floor_bundle" "floor-$RANDOM" </dev/null; }
runc_ms=$(time_runs runc_run)
version_ms=$(time_runs berthd_netns_docker version)
berthd_netns_docker rm -f "$floor_id" >/dev/null
rm -rf "$floor_bundle" "$floor_root"
rmdir /sys/fs/cgroup/*/berth-bench-floor /sys/fs/cgroup/berth-bench-floor 2>/dev/null || true
floor_ms=$(awk -v a="$runc_ms" -v b="$version_ms" 'BEGIN { print a + b }')
above() { awk -v a="$1" -v b="$floor_ms" 'BEGIN { print a - b }'; }
echo "runc run ${runc_ms} ms + docker version ${version_ms} ms = ${floor_ms} ms, $(ratio "$floor_ms" "$d_none") x dockerd's run;" \
  "above it: dockerd $(above "$d_none") ms, berthd $(above "$b_none") ms"

echo "== run --rm busybox true on the default bridge, median of $runs (the engines take turns)"
read -r d_bridge b_bridge < <(time_pair run --rm busybox true)
echo "dockerd ${d_bridge} ms   berthd ${b_bridge} ms   ratio $(ratio "$b_bridge" "$d_bridge") (target <= 0.3)"

echo "== 50 containers created and started in a row (run -d), then ps -a"
fifty() { local i; for ((i = 0; i < 50; i++)); do "$1" run -d --network none busybox sleep 600 >/dev/null; done; }
t0=$(now_ms); fifty dockerd_netns_docker; d_fifty=$(($(now_ms) - t0))
t0=$(now_ms); fifty berthd_netns_docker; b_fifty=$(($(now_ms) - t0))
echo "50 x run -d: dockerd ${d_fifty} ms   berthd ${b_fifty} ms   ratio $(ratio "$b_fifty" "$d_fifty") (target <= 0.5)"
# ps -a in two lines. The CLI's wall time is mostly the docker CLI's own start-up (`docker --version`
# alone takes ~20 ms here), for either engine, so the engine's part is also timed alone: the request
# `docker ps -a` makes, by curl's own clock, median of many calls.
read -r d_ps b_ps < <(time_pair ps -a)
cli_ms=$(time_runs docker --version)
api_calls=$((runs * 5))
api_ms() {
  local i
  for ((i = 0; i < api_calls; i++)); do
    curl -s -o /dev/null -w '%{time_total}\n' --unix-socket "$1" "http://engine/v1.41/containers/json?all=1"
  done | awk '{printf "%.3f\n", $1 * 1000}' | median
}
# (Many calls each, so one engine's calls are seconds apart from the other's at most.)
d_api=$(api_ms "${BERTH_DOCKERD_HOST#unix://}")
b_api=$(api_ms "$BERTH_BERTHD_SOCK")
echo "ps -a (50), CLI wall time: dockerd ${d_ps} ms   berthd ${b_ps} ms   ratio $(ratio "$b_ps" "$d_ps") (target <= 0.5; CLI-bound: docker --version alone ${cli_ms} ms)"
echo "ps -a (50), engine answer (GET /containers/json?all=1 by curl, median of ${api_calls}): dockerd ${d_api} ms   berthd ${b_api} ms   ratio $(ratio "$b_api" "$d_api") (target <= 0.5)"
dockerd_netns_docker rm -f $(dockerd_netns_docker ps -aq) >/dev/null
berthd_netns_docker rm -f $(berthd_netns_docker ps -aq) >/dev/null

echo "== idle resident memory with 10 running containers"
for ((i = 0; i < 10; i++)); do
  dockerd_netns_docker run -d --network none busybox sleep 600 >/dev/null
  berthd_netns_docker run -d --network none busybox sleep 600 >/dev/null
done
sleep 3
d_rss=$(( $(rss_of "dockerd --host=$BERTH_DOCKERD_HOST") + $(rss_of "containerd --config $BERTH_DOCKERD_DIR") \
          + $(rss_of "containerd-shim-runc-v2 -namespace berth-") ))
b_rss=$(( $(rss_of "$BERTH_BERTHD_BIN") + $(rss_of "berth-shim.*$BERTH_BERTHD_DIR") ))
echo "dockerd+containerd+shims ${d_rss} kB   berthd+shims ${b_rss} kB   ratio $(ratio "$b_rss" "$d_rss") (target <= 0.1)"
