#!/usr/bin/env bash
# `berth machine` with real VMs (issue 5's acceptance), user-mode networking on the host's
# qemu:///system so every address the test talks to is 127.0.0.1:
#   create dev → ls Running with its engine version → eval env → docker load/run/-p → ssh, scp both
#   ways → stop/start keep container and image → regenerate-certs and docker works again → a second
#   machine and switching with env → rm -y removes everything; plus the bad-input errors.
# Root. Cleans up on every exit path. Tunables: BERTH_E2E_IMAGE_DIR (default $BUILD/images/vm),
# BERTH_E2E_BIN_DIR (berthd & co. for the machines, default $BUILD/lib/berth, the stripped copies).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=${BERTH_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
build_dir=${BERTH_BUILD_DIR:-$source_dir/build}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/libvirtd.sh
source "$source_dir/tests/fixtures/libvirtd.sh"

berth=$build_dir/bin/berth
export BERTH_IMAGE_DIR=${BERTH_E2E_IMAGE_DIR:-$build_dir/images/vm}
export BERTH_BIN_DIR=${BERTH_E2E_BIN_DIR:-$build_dir/lib/berth}
busybox_tar=${BERTH_E2E_BUSYBOX:-$build_dir/images/busybox.tar}
[ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 must run as root"; exit 1; }
[ -x "$berth" ] || { echo "FAIL: $berth not built"; exit 1; }
for f in "$BERTH_IMAGE_DIR/vmlinuz" "$BERTH_IMAGE_DIR/initramfs.img" "$BERTH_BIN_DIR/berthd" "$busybox_tar"; do
  [ -f "$f" ] || { echo "FAIL: $f missing: build it first"; exit 1; }
done

work=$(mktemp -d /tmp/bmcliXXXXXX)
chmod 0711 "$work"
export BERTH_STORAGE_PATH=$work/store
suffix=$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')
pool=berth-e2e-$suffix
dev=dev-$suffix
second=second-$suffix

cleanup() {
  local rc=$?
  timeout 300 "$berth" machine rm -f "$dev" "$second" >/dev/null 2>&1
  timeout 20 virsh -c qemu:///system pool-destroy "$pool" >/dev/null 2>&1
  timeout 20 virsh -c qemu:///system pool-undefine "$pool" >/dev/null 2>&1
  rm -rf "$work"
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

libvirtd_ensure_host || { echo "FAIL: libvirtd on qemu:///system"; exit 1; }
create_opts=(-d libvirt --libvirt-network user --memory 512 --disk-size 2 --libvirt-pool "$pool"
             --libvirt-pool-path "$work/pool")
b() { timeout 600 "$berth" machine "$@"; }
# The stock docker CLI with whatever `berth machine env` printed.
denv() { local m=$1; shift; ( eval "$("$berth" machine env --shell bash "$m")" && timeout 120 docker "$@" ); }

echo "== bad input"
expect_fail_with "unknown driver" 'unknown driver "virtualbox"' b create -d virtualbox x
expect_fail_with "invalid name" 'invalid machine name' b create "${create_opts[@]}" Bad_Name
expect_fail_with "unknown machine" 'does not exist' b ip ghost-$suffix

echo "== create $dev"
capture b create "${create_opts[@]}" "$dev"
echo "$OUT" | sed 's/^/    /'
expect_eq "create succeeds" "$RC" 0
[ "$RC" -eq 0 ] || { echo "$ERR"; assert_finish; exit 1; }
expect_match "create shows its steps with elapsed time" "$OUT" '\[ *[0-9]+\.[0-9]s\] Waiting for the machine to boot'
expect_fail_with "create over an existing name" "already exists" b create "${create_opts[@]}" "$dev"
capture b ls --filter "name=$dev"
expect_match "ls shows it Running with its engine version" "$OUT" "$dev +- +libvirt +Running +tcp://127\.0\.0\.1:[0-9]+ +v[0-9]"
capture b env "$dev"
expect_contains "env sets DOCKER_HOST" "$OUT" "export DOCKER_HOST=\"tcp://127.0.0.1:"
expect_contains "env sets DOCKER_CERT_PATH to the machine folder" "$OUT" "DOCKER_CERT_PATH=\"$BERTH_STORAGE_PATH/machines/$dev\""

echo "== docker against $dev"
expect_ok "docker load busybox.tar" denv "$dev" load -i "$busybox_tar"
capture denv "$dev" run --rm busybox echo hello
expect_eq "docker run --rm busybox echo hello" "$OUT" hello
expect_ok "docker run -d -p 8080:80 busybox httpd" denv "$dev" run -d --name web -p 8080:80 busybox httpd -f -p 80 -h /etc
served() { b ssh "$dev" -- wget -qO- http://127.0.0.1:8080/hostname >/dev/null; }
if wait_until 30 served; then pass "the published port serves a request on the machine"; else fail "published port"; fi
capture b active
expect_eq "no active machine before eval" "$RC" 1
(
  eval "$("$berth" machine env "$dev")"
  expect_eq "active names the machine DOCKER_HOST points at" "$("$berth" machine active)" "$dev"
)

echo "== berth as the client, straight through the machine store"
capture env -u DOCKER_HOST -u DOCKER_CERT_PATH -u DOCKER_TLS_VERIFY -u BERTH_MACHINE_NAME \
  timeout 120 "$berth" --machine "$dev" run --rm busybox echo hi
expect_eq "berth --machine $dev run --rm busybox echo hi, no env settings" "$OUT" hi
capture env -u DOCKER_HOST -u DOCKER_CERT_PATH -u DOCKER_TLS_VERIFY \
  BERTH_MACHINE_NAME="$dev" timeout 60 "$berth" ps --format '{{.Names}}'
expect_eq "BERTH_MACHINE_NAME selects the machine's engine for berth ps" "$OUT" web

echo "== ssh and scp"
capture b ssh "$dev" -- uname -a
expect_contains "ssh NAME -- uname -a" "$OUT" "Linux"
echo "payload-$suffix" > "$work/in.txt"
expect_ok "scp a file in" b scp "$work/in.txt" "$dev:/tmp/in.txt"
expect_ok "scp it back out" b scp "$dev:/tmp/in.txt" "$work/out.txt"
expect_eq "the file made the round trip" "$(cat "$work/out.txt" 2>/dev/null)" "payload-$suffix"

echo "== stop and start"
expect_ok "stop" b stop "$dev"
expect_eq "status Stopped" "$(b status "$dev")" Stopped
expect_fail_with "ssh to a stopped machine" "is Stopped" b ssh "$dev" -- true
expect_ok "start" b start "$dev"
capture denv "$dev" images --format '{{.Repository}}'
expect_contains "the image survived stop/start" "$OUT" busybox
capture denv "$dev" ps -a --format '{{.Names}}'
expect_contains "the container survived stop/start" "$OUT" web

echo "== regenerate-certs"
expect_ok "regenerate-certs -f --client-certs" b regenerate-certs -f --client-certs "$dev"
capture denv "$dev" run --rm busybox echo again
expect_eq "docker works with the new certificates" "$OUT" again

echo "== a second machine, switching with env"
expect_ok "create $second with --engine-label and --engine-env" \
  b create "${create_opts[@]}" --engine-label team=e2e --engine-env "BERTH_E2E_MARK=$suffix" "$second"
capture denv "$second" info --format '{{json .Labels}}'
expect_contains "the engine carries --engine-label" "$OUT" '"team=e2e"'
capture b ssh "$second" -- 'tr "\\0" "\\n" < /proc/$(pidof berthd)/environ'
expect_contains "berthd runs with --engine-env" "$OUT" "BERTH_E2E_MARK=$suffix"
capture denv "$second" images --format '{{.Repository}}'
expect_not_contains "the second machine has its own engine (no busybox yet)" "$OUT" busybox
capture denv "$dev" images --format '{{.Repository}}'
expect_contains "switching back reaches the first engine" "$OUT" busybox
expect_eq "ls lists both" "$(b ls -q | grep -c "$suffix")" 2

echo "== a VM deleted behind berth's back"
virsh -c qemu:///system destroy "$second" >/dev/null 2>&1
virsh -c qemu:///system undefine "$second" >/dev/null 2>&1
capture b ls --filter "name=$second"
expect_match "ls shows Error with the reason" "$OUT" "$second .*Error"

echo "== rm"
expect_ok "rm -y both" b rm -y "$dev" "$second"
expect_eq "no machine folders left" "$(ls "$BERTH_STORAGE_PATH/machines" 2>/dev/null)" ""
expect_eq "no domains left" "$(virsh -c qemu:///system list --all --name | grep -c "$suffix")" 0

assert_finish
