#!/usr/bin/env bash
# Proof that images/busybox.tar is a real docker image and not just something berth's own engine accepts:
# the reference implementation (Debian's dockerd 20.10, in its own network namespace) must `docker load`
# it and run containers from it. Needs root. Finishes on its own: every daemon wait and every docker call
# has a timeout, and an EXIT trap tears everything down on every path.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build_dir=${BERTH_BUILD_DIR:-$source_dir/build}
image=$build_dir/images/busybox.tar

# shellcheck source=../fixtures/dockerd-in-netns.sh
source "$source_dir/tests/fixtures/dockerd-in-netns.sh"

fail() {
  echo "FAIL: $*" >&2
  dockerd_netns_logs >&2
  exit 1
}
# Run a docker command; on error show what it printed and fail. Its stdout goes to our stdout.
docker_or_fail() {
  local out rc=0
  out=$(dockerd_netns_docker "$@" 2>"$BERTH_DOCKERD_DIR/client/stderr") || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "docker $* -> exit $rc; stdout: $out; stderr: $(cat "$BERTH_DOCKERD_DIR/client/stderr")" >&2
    fail "docker $* failed"
  fi
  printf '%s\n' "$out"
}

[ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 must run as root" >&2; exit 1; }
[ -f "$image" ] || { echo "FAIL: $image does not exist; build first (scripts/build)" >&2; exit 1; }

trap dockerd_netns_stop EXIT
trap 'exit 130' INT          # turn signals into a normal exit, so the EXIT trap cleans up
trap 'exit 143' TERM

dockerd_netns_start || fail "dockerd did not start"
echo "dockerd is up in netns $BERTH_DOCKERD_NETNS at $BERTH_DOCKERD_HOST"

# 1. docker load accepts the archive and tags it as the manifest says.
out=$(docker_or_fail load -i "$image")
echo "$out"
grep -qxF 'Loaded image: busybox:latest' <<<"$out" || fail "docker load printed '$out', not 'Loaded image: busybox:latest'"

# The image ID is the sha256 of the config file; docker must agree with the archive's manifest.
config_name=$(tar -xOf "$image" manifest.json | sed -E 's/^.*"Config":"([0-9a-f]{64})\.json".*$/\1/')
image_id=$(docker_or_fail image inspect -f '{{.Id}}' busybox:latest)
[ "$image_id" = "sha256:$config_name" ] || fail "image ID $image_id does not match config $config_name.json"
cmd=$(docker_or_fail image inspect -f '{{json .Config.Cmd}}' busybox:latest)
[ "$cmd" = '["sh"]' ] || fail "Cmd is $cmd, want [\"sh\"]"

# 2. A container runs from it.
out=$(docker_or_fail run --rm --network none busybox echo ok)
[ "$out" = ok ] || fail "docker run ... echo ok printed '$out'"
echo "run echo: $out"

# 3. Users resolve through /etc/passwd, and every applet busybox knows is installed as a command.
#    (Debian's busybox-static 1.35 has 269 applets, placed across /bin, /sbin, /usr/bin, /usr/sbin as
#    `busybox --list-full` says; linuxrc is deliberately left out.)
out=$(docker_or_fail run --rm --network none busybox sh -c '
  id -un
  ls /bin /sbin /usr/bin /usr/sbin | grep -v -e ":$" -e "^$" | wc -l
  for a in $(busybox --list); do
    [ "$a" = linuxrc ] && continue
    [ -e "/bin/$a" ] || [ -e "/sbin/$a" ] || [ -e "/usr/bin/$a" ] || [ -e "/usr/sbin/$a" ] || echo "missing applet $a"
  done')
echo "run sh -c: $(tr '\n' ' ' <<<"$out")"
user=$(sed -n 1p <<<"$out")
count=$(sed -n 2p <<<"$out")
missing=$(sed -n '3,$p' <<<"$out")
[ "$user" = root ] || fail "id -un printed '$user', want root"
[ -z "$missing" ] || fail "applets without a link: $missing"
[[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -gt 250 ] || fail "only '$count' commands in /bin /sbin /usr/bin /usr/sbin"

echo "PASS: busybox.tar loads and runs in dockerd $(docker_or_fail version -f '{{.Server.Version}}')"
