#!/usr/bin/env bash
# The libvirt driver with real VMs booted from build/images/vm:
#   1. one machine with user-mode networking on the host's qemu:///system: create, guest agent,
#      agent addresses, SSH with the injected key, berthd inside, stop through the agent, start with
#      the data disk intact, kill, remove leaving nothing behind; plus the bad-input errors.
#   2. two machines on the berth NAT network of a private libvirtd inside a network namespace this
#      test creates (tests/fixtures/libvirtd.sh): they reach each other; remove leaves nothing.
# Root. Cleans up on every exit path. Tunables: BERTH_E2E_IMAGE_DIR (default $BUILD/images/vm),
# BERTH_E2E_VIRT_TYPE (auto|kvm|qemu, default auto).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=${BERTH_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
build_dir=${BERTH_BUILD_DIR:-$source_dir/build}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/libvirtd.sh
source "$source_dir/tests/fixtures/libvirtd.sh"

image=${BERTH_E2E_IMAGE_DIR:-$build_dir/images/vm}
virt_type=${BERTH_E2E_VIRT_TYPE:-auto}
drv=$build_dir/tests/driver_e2e
[ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 must run as root"; exit 1; }
[ -x "$drv" ] || { echo "FAIL: $drv not built (cmake --build $build_dir --target driver_e2e)"; exit 1; }
for f in vmlinuz initramfs.img; do
  [ -f "$image/$f" ] || { echo "FAIL: $image/$f missing: build the VM image (target vm-image)"; exit 1; }
done

work=$(mktemp -d /tmp/bdrvXXXXXX)
chmod 0711 "$work"
suffix=$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')
states=()   # driver state files of machines this run created, removed again on exit

cleanup() {
  local rc=$? st
  for st in "${states[@]}"; do
    [ -f "$st" ] && timeout 120 "$drv" "$st" remove >/dev/null 2>&1
  done
  # The host libvirtd keeps running (it is shared), but the pool this run made goes.
  if [ -n "${host_pool:-}" ]; then
    timeout 20 virsh -c qemu:///system pool-destroy "$host_pool" >/dev/null 2>&1
    timeout 20 virsh -c qemu:///system pool-undefine "$host_pool" >/dev/null 2>&1
  fi
  libvirtd_netns_stop
  rm -rf "$work"
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
ssh_opts=(-i "$work/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
          -o LogLevel=ERROR -o ConnectTimeout=3)
ssh-keygen -q -t ed25519 -N '' -C "berth-e2e" -f "$work/key"

# ---------------------------------------------------------------------------------------------------
echo "== part 1: one machine, user-mode networking, host libvirtd"
libvirtd_ensure_host || { echo "FAIL: libvirtd on qemu:///system"; exit 1; }
name=e2e-$suffix
st=$work/$name.json
states+=("$st")
# A pool of this run's own, removed at exit, instead of the default "berth" pool.
host_pool=berth-e2e-$suffix
pool_opts=(--pool "$host_pool" --pool-path "$work/pool")
# Engine configuration carried in the seed (MachineSpec::engine_files), as the machine manager passes
# its daemon.json and certificates: written to /etc/berth before berthd first starts.
mkdir -p "$work/etc-berth"
printf '{"labels": ["berth.e2e=seeded"]}\n' > "$work/etc-berth/daemon.json"
create=("$drv" "$st" create "$name" --image-dir "$image" --machine-dir "$work/machines/$name"
        --key "$work/key.pub" --network user --virt-type "$virt_type" --memory 512 --disk-gb 2
        "${pool_opts[@]}" --engine-files "$work/etc-berth")
t0=$(now)
expect_ok "create a user-mode machine" "${create[@]}"
t_create=$(since "$t0")
expect_ok "its guest agent answers (wait_ready)" "$drv" "$st" wait 180
t_agent=$(since "$t0")
port=$("$drv" "$st" ssh-port)
sshm() { timeout 60 ssh "${ssh_opts[@]}" -p "$port" root@127.0.0.1 "$@"; }
if wait_until 120 sshm true; then pass "SSH with the injected key"; else fail "SSH with the injected key"; fi
t_ssh=$(since "$t0")
echo "TIMING create=${t_create}s create->agent-ready=${t_agent}s create->ssh-ready=${t_ssh}s ($virt_type)"

capture "$drv" "$st" agent '{"execute":"guest-ping"}'
expect_eq "guest-ping through virDomainQemuAgentCommand" "$OUT" '{"return":{}}'
capture "$drv" "$st" addresses agent
expect_contains "virDomainInterfaceAddresses(AGENT) has the guest's address" "$OUT" "10.0.2.15/24"
expect_eq "the driver's ip is loopback with user-mode networking" "$("$drv" "$st" ip)" 127.0.0.1
expect_match "engine URL is a forwarded loopback port" "$("$drv" "$st" url)" '^tcp://127\.0\.0\.1:[0-9]+$'
expect_eq "state Running" "$("$drv" "$st" state)" Running
capture sshm hostname
expect_eq "the guest's hostname is the machine name (from the seed)" "$OUT" "$name"
engine_ready() { "$drv" "$st" agent '{"execute":"berth-status"}' | grep -q '"engine_ready":true'; }
if wait_until 60 engine_ready; then pass "berthd inside answers /_ping (berth-status engine_ready)"
else fail "berthd inside answers /_ping" "$("$drv" "$st" agent '{"execute":"berth-status"}' 2>&1)"; fi
capture sshm 'stat -c %a /etc/berth/daemon.json; cat /etc/berth/daemon.json'
expect_eq "the seed's daemon.json is in /etc/berth, mode 600" "$OUT" \
  "$(printf '600\n%s' "$(cat "$work/etc-berth/daemon.json")")"
expect_ok "write a file on the data disk" sshm 'echo kept-across-stop > /var/lib/berth/e2e-marker; sync'
# Provisioning may rewrite the configuration later; a reboot must not put the seed's back.
expect_ok "rewrite daemon.json over SSH" sshm 'echo "{}" > /etc/berth/daemon.json; sync'

t1=$(now)
capture "$drv" "$st" stop
t_stop=$(since "$t1")
expect_eq "stop succeeds" "$RC" 0
expect_not_contains "stop did not have to force the machine off" "$ERR" "forcing it off"
expect_eq "state Stopped after stop" "$("$drv" "$st" state)" Stopped
expect_contains "the guest shut itself down (console log)" \
  "$(cat "$work/machines/$name/console.log" 2>/dev/null)" "berth-shutdown: stopping"
echo "TIMING stop=${t_stop}s"

t1=$(now)
expect_ok "start again" "$drv" "$st" start
expect_ok "agent answers after start" "$drv" "$st" wait 180
if wait_until 120 sshm true; then pass "SSH after start"; else fail "SSH after start"; fi
echo "TIMING start->ssh-ready=$(since "$t1")s"
capture sshm cat /var/lib/berth/e2e-marker
expect_eq "the file written before stop is still on the data disk" "$OUT" kept-across-stop
capture sshm cat /etc/berth/daemon.json
expect_eq "the seed's files are written once per machine, not at every boot" "$OUT" "{}"

expect_ok "kill" "$drv" "$st" kill
expect_eq "state Stopped after kill" "$("$drv" "$st" state)" Stopped
expect_ok "kill again is a no-op" "$drv" "$st" kill

# Bad input, while the machine still exists.
bad() { "$drv" "$work/bad.json" create "$@" --image-dir "$image" --machine-dir "$work/machines/bad" \
          --key "$work/key.pub" --network user --virt-type "$virt_type" "${pool_opts[@]}"; }
expect_fail_with "a name that is not a hostname" "invalid machine name" bad "Bad_Name"
expect_fail_with "a second machine with the same name" "already exists" bad "$name"
expect_fail_with "the VM image missing" "does not exist" \
  "$drv" "$work/bad.json" create bad1 --image-dir "$work/no-image" --machine-dir "$work/machines/bad" \
  --key "$work/key.pub"
expect_fail_with "too little disk space" "not enough disk space" bad bad2 --disk-gb 100000000
mkdir -p "$work/bad-etc" && echo x > "$work/bad-etc/a b"
expect_fail_with "an engine file name that is not a plain path" "invalid engine file" \
  bad bad3 --engine-files "$work/bad-etc"
expect_fail_with "libvirtd not running says so" "libvirtd is not running" \
  bad bad3 --uri "qemu:///system?socket=$work/no-such-libvirt-sock"
expect_fail_with "libvirtd not running says how to start it" "libvirtd -d" \
  bad bad3 --uri "qemu:///system?socket=$work/no-such-libvirt-sock"
expect_eq "bad input left no domain" "$(virsh -c qemu:///system list --all --name | grep -c '^bad')" 0

expect_ok "remove" "$drv" "$st" remove
expect_fail_with "no domain after remove" "failed to get domain" virsh -c qemu:///system dominfo "$name"
capture virsh -c qemu:///system vol-list "$host_pool"
expect_eq "the pool is there" "$RC" 0
expect_not_contains "no volume after remove" "$OUT" "$name-"
expect_eq "no console log after remove" "$(ls "$work/machines/$name" 2>/dev/null)" ""
expect_ok "remove again is a no-op" "$drv" "$st" remove

# ---------------------------------------------------------------------------------------------------
echo "== part 2: two machines on the berth NAT network, libvirtd in a network namespace"
if ! libvirtd_netns_start; then
  fail "start libvirtd in a network namespace"
  assert_finish
  exit 1
fi
echo "libvirtd in netns $LIBVIRTD_NETNS at $LIBVIRTD_NETNS_URI"
pool=$LIBVIRTD_NETNS_DIR/pool
declare -A ips=()
mac_of() { "$drv" "$work/nat$1-$suffix.json" json | sed -n 's/.*"mac": "\(.*\)".*/\1/p'; }
for m in a b; do
  n=nat$m-$suffix
  states+=("$work/$n.json")
  t0=$(now)
  expect_ok "create $n on the NAT network" "$drv" "$work/$n.json" create "$n" --uri "$LIBVIRTD_NETNS_URI" \
    --pool-path "$pool" --image-dir "$image" --machine-dir "$work/machines/$n" --key "$work/key.pub" \
    --network nat --virt-type "$virt_type" --memory 512 --disk-gb 2
done
for m in a b; do
  n=nat$m-$suffix
  expect_ok "$n's agent answers" "$drv" "$work/$n.json" wait 240
  have_ip() { "$drv" "$work/$n.json" ip >/dev/null 2>&1; }
  wait_until 60 have_ip
  ips[$m]=$("$drv" "$work/$n.json" ip 2>&1)
  expect_match "$n has an address in the berth subnet" "${ips[$m]}" '^192\.168\.151\.[0-9]+$'
done
echo "TIMING two NAT machines agent-ready=$(since "$t0")s after the second create"
capture "$drv" "$work/nata-$suffix.json" leases
expect_contains "the DHCP leases name machine a's fixed MAC" "$OUT" "$(mac_of a)"
expect_contains "the bridge lives in the test's namespace" \
  "$(libvirtd_netns_exec ip -4 addr show berth0 2>&1)" "192.168.151.1/24"
expect_eq "and not on the host" "$(ip link show berth0 2>/dev/null | wc -l)" 0
sshn() { local ip=$1; shift; libvirtd_netns_exec timeout 60 ssh "${ssh_opts[@]}" "root@$ip" "$@"; }
for m in a b; do
  if wait_until 120 sshn "${ips[$m]}" true; then pass "SSH to nat$m over the bridge"; else fail "SSH to nat$m"; fi
done
expect_ok "machine a reaches machine b" sshn "${ips[a]}" ping -c 2 -W 3 "${ips[b]}"
expect_ok "machine b reaches machine a" sshn "${ips[b]}" ping -c 2 -W 3 "${ips[a]}"
mac_a=$(mac_of a)
mac_b=$(mac_of b)
capture "$drv" "$work/natb-$suffix.json" leases
expect_contains "machine b has a DHCP lease while it runs" "$OUT" "$mac_b"
# a: stop, then remove; b: remove while running (the driver shuts it down cleanly first).
expect_ok "stop nata-$suffix through the agent" "$drv" "$work/nata-$suffix.json" stop
expect_ok "remove nata-$suffix" "$drv" "$work/nata-$suffix.json" remove
expect_ok "remove natb-$suffix while it runs" "$drv" "$work/natb-$suffix.json" remove
expect_eq "no domains left in the private libvirtd" \
  "$(virsh -c "$LIBVIRTD_NETNS_URI" list --all --name | grep -c .)" 0
capture virsh -c "$LIBVIRTD_NETNS_URI" vol-list berth
expect_not_contains "no volumes left" "$OUT" "$suffix"
capture "$drv" "$work/nata-$suffix.json" leases
expect_eq "reading the network's leases works" "$RC" 0
expect_not_contains "no DHCP lease left for machine a (stopped, then removed)" "$OUT" "$mac_a"
expect_not_contains "no DHCP lease left for machine b (removed while running)" "$OUT" "$mac_b"
for m in a b; do
  expect_eq "no files left for nat$m" "$(ls "$work/machines/nat$m-$suffix" 2>/dev/null)" ""
done

assert_finish
