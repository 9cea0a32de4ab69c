#!/usr/bin/env bash
# Boots the berth VM image with plain QEMU (no libvirt; software emulation unless BERTH_VM_ACCEL
# says otherwise), and checks what a berth machine must do on its own: the guest agent answers on
# its virtio-serial port and reports 10.0.2.15, SSH works with the key from the cloud-init seed,
# guest-shutdown powers off cleanly, and a second boot keeps the data disk and the SSH host key.
# Prints boot timings, image size and guest memory use.
# Traffic stays on 127.0.0.1: QEMU's user-mode network forwards one loopback port to the guest.
set -euo pipefail

build=${BERTH_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
image=$build/images/vm
accel=${BERTH_VM_ACCEL:-tcg}
for tool in qemu-system-x86_64 qemu-img genisoimage socat ssh sftp ssh-keygen ss; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool not installed (run scripts/setup)"; exit 1; }
done
for f in vmlinuz initramfs.img release; do
  [ -f "$image/$f" ] || { echo "FAIL: $image/$f missing (build the vm-image target)"; exit 1; }
done

dir=$(mktemp -d /tmp/berth-vm-test.XXXXXX)
qemu_pid=
agent_pid=
cleanup() {
  set +e
  [ -n "$agent_pid" ] && kill "$agent_pid" 2> /dev/null
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2> /dev/null; then
    kill "$qemu_pid"
    sleep 1
    kill -9 "$qemu_pid" 2> /dev/null
  fi
  if [ -n "${BERTH_VM_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "--- guest console (last 40 lines) ---"
  tail -n 40 "$dir/console.log" 2> /dev/null | tr -d '\r'
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }

# --- inputs: SSH key, blank data disk, NoCloud seed ---
ssh-keygen -q -t ed25519 -N '' -C vm-test -f "$dir/key"
qemu-img create -q -f qcow2 "$dir/data.qcow2" 2G
mkdir "$dir/seed"
make_seed() {  # make_seed HOSTNAME LABEL
  printf 'instance-id: iid-vm-test\nlocal-hostname: %s\n' "$1" > "$dir/seed/meta-data"
  printf '#cloud-config\nhostname: %s\nssh_authorized_keys:\n  - %s\n' "$1" "$(cat "$dir/key.pub")" \
    > "$dir/seed/user-data"
  rm -f "$dir/seed.iso"
  genisoimage -quiet -output "$dir/seed.iso" -volid "$2" -joliet -rock \
    "$dir/seed/user-data" "$dir/seed/meta-data"
}
make_seed vm-test cidata
# First boot: the seed marked by serial, as the libvirt driver attaches it.
seed_serial=berth-seed

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    [ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return; }
  done
  return 1
}
port=$(free_port)
engine_port=$(free_port)

boot() {  # boot LABEL: starts QEMU in the background
  : > "$dir/console.log"
  rm -f "$dir/qga.sock"
  boot_started=$(now)
  qemu-system-x86_64 -accel "$accel" -machine pc -m 512 -smp 1 -nodefaults -no-user-config \
    -display none -monitor none -serial "file:$dir/console.log" -pidfile "$dir/qemu.pid" \
    -kernel "$image/vmlinuz" -initrd "$image/initramfs.img" -append "console=ttyS0 quiet cryptomgr.notests" \
    -drive "file=$dir/data.qcow2,if=none,id=data,format=qcow2" \
    -device virtio-blk-pci,drive=data,serial=berth-data \
    -drive "file=$dir/seed.iso,if=none,id=seed,format=raw,readonly=on" \
    -device "virtio-blk-pci,drive=seed${seed_serial:+,serial=$seed_serial}" \
    -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:22,hostfwd=tcp:127.0.0.1:$engine_port-:2375" \
    -device virtio-net-pci,netdev=net0,romfile= \
    -device virtio-rng-pci \
    -device virtio-serial-pci \
    -chardev "socket,path=$dir/qga.sock,server=on,wait=off,id=qga0" \
    -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0 \
    > "$dir/qemu.log" 2>&1 &
  qemu_pid=$!
  echo "== boot $1 (accel $accel, ssh on 127.0.0.1:$port)"
}

# --- the agent: one socat connection, driven line by line ---
agent_close() {
  if [ -n "$agent_pid" ]; then
    kill "$agent_pid" 2> /dev/null || true
    wait "$agent_pid" 2> /dev/null || true
  fi
  agent_pid=
  if [ -n "${agent_in:-}" ]; then exec {agent_in}>&-; agent_in=; fi
  if [ -n "${agent_out:-}" ]; then exec {agent_out}<&-; agent_out=; fi
}
# Connects and synchronises as libvirt does: 0xFF resets the agent's parser, then
# guest-sync-delimited with a fresh id; replies before ours (from an earlier client) are skipped.
agent_sync() {  # agent_sync TIMEOUT_SECONDS
  local deadline id line
  deadline=$(($(date +%s) + $1))
  [ -S "$dir/qga.sock" ] || return 1
  coproc AGENT { exec socat - "UNIX-CONNECT:$dir/qga.sock" 2> /dev/null; }
  agent_pid=$AGENT_PID
  exec {agent_in}>&"${AGENT[1]}" {agent_out}<&"${AGENT[0]}"
  id=$((RANDOM * 32768 + RANDOM))
  printf '\xff{"execute":"guest-sync-delimited","arguments":{"id":%d}}\n' "$id" >&"$agent_in" || return 1
  while [ "$(date +%s)" -lt "$deadline" ]; do
    IFS= read -r -t 1 line <&"$agent_out" || { kill -0 "$agent_pid" 2> /dev/null || return 1; continue; }
    line=${line##*$'\xff'}
    [ "$line" = "{\"return\":$id}" ] && return 0
  done
  return 1
}
agent_call() {  # agent_call JSON [TIMEOUT]: prints the reply line
  local line
  printf '%s\n' "$1" >&"$agent_in"
  IFS= read -r -t "${2:-30}" line <&"$agent_out" || { echo "no reply to $1" >&2; return 1; }
  printf '%s\n' "$line"
}
json_field() {  # json_field NAME: a scalar field of the JSON on stdin
  sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" | tr -d '"'
}

guest_ssh() {  # guest_ssh CHECKING COMMAND...: CHECKING is accept-new (first boot) or yes
  local checking=$1
  shift
  ssh -q -i "$dir/key" -p "$port" -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5 \
    -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking="$checking" \
    -o LogLevel=ERROR root@127.0.0.1 "$@"
}

# Waits for the agent and sshd in one loop, so each time is when it really became ready.
wait_ready() {  # wait_ready CHECKING
  local deadline
  deadline=$(($(date +%s) + 180))
  agent_ready='' ssh_ready=''
  while [ -z "$agent_ready" ] || [ -z "$ssh_ready" ]; do
    kill -0 "$qemu_pid" 2> /dev/null || fail "QEMU exited during boot: $(cat "$dir/qemu.log")"
    [ "$(date +%s)" -lt "$deadline" ] || fail "boot timed out (agent ${agent_ready:-not ready}, ssh ${ssh_ready:-not ready})"
    if [ -z "$agent_ready" ]; then
      if agent_sync 1; then agent_ready=$(elapsed "$boot_started"); else agent_close; fi
    fi
    if [ -z "$ssh_ready" ] && [ -n "$(ss -Htln "sport = :$port")" ]; then
      guest_ssh "$1" true 2> /dev/null && ssh_ready=$(elapsed "$boot_started")
    fi
    [ -n "$agent_ready" ] && [ -n "$ssh_ready" ] || sleep 0.2
  done
  echo "   agent ready after ${agent_ready}s, sshd ready after ${ssh_ready}s (wall, from QEMU start)"
}

wait_engine() {  # prints the engine readiness time, when the image has an engine
  [ "$has_engine" ] || { echo "   image has no berthd (ENGINE=missing)"; return; }
  local deadline status
  deadline=$(($(date +%s) + 120))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    status=$(agent_call '{"execute":"berth-status"}')
    if echo "$status" | grep -q '"engine_ready":true'; then
      echo "   berthd ready after $(elapsed "$boot_started")s (version $(echo "$status" | json_field engine_version))"
      return
    fi
    sleep 0.5
  done
  fail "berthd never answered /_ping: $status; $(guest_ssh yes tail -n 20 /var/log/berthd.log)"
}

# A container through the engine inside the machine: crun, cgroup v2, overlayfs, bridge + NAT all
# work in the image. Plain TCP on the guest, reached only through the 127.0.0.1 forward.
run_container() {  # run_container first|second
  [ "$has_engine" ] && [ "$has_docker" ] || return 0
  local started out
  started=$(now)
  if [ "$1" = first ]; then
    echo '{"hosts":["unix:///run/berth/berth.sock","tcp://0.0.0.0:2375"]}' |
      guest_ssh yes 'cat > /etc/berth/daemon.json' || fail "cannot write daemon.json"
    agent_call '{"execute":"berth-restart-engine"}' | grep -q engine_pid || fail "berth-restart-engine failed"
  fi
  for _ in $(seq 100); do
    timeout 5 docker -H "tcp://127.0.0.1:$engine_port" version > /dev/null 2>&1 && break
    sleep 0.3
  done
  if [ "$1" = first ]; then
    timeout 120 docker -H "tcp://127.0.0.1:$engine_port" load -q -i "$busybox_tar" > /dev/null ||
      fail "docker load into the machine failed"
  fi
  out=$(timeout 120 docker -H "tcp://127.0.0.1:$engine_port" run --rm busybox sh -c 'echo ran-in-vm; cat /proc/self/cgroup' 2>&1) ||
    fail "docker run in the machine failed: $out; $(guest_ssh yes tail -n 5 /var/log/berthd.log)"
  echo "$out" | grep -q ran-in-vm || fail "container output: $out"
  echo "   container ran through berthd in the machine ($1 boot: $(elapsed "$started")s)"
}

shutdown_guest() {
  local reply started
  started=$(now)
  # qemu-ga answers nothing to a successful guest-shutdown: a reply here is an error.
  printf '%s\n' '{"execute":"guest-shutdown"}' >&"$agent_in"
  if IFS= read -r -t 2 reply <&"$agent_out" && [ -n "$reply" ]; then fail "guest-shutdown answered: $reply"; fi
  for _ in $(seq 600); do
    kill -0 "$qemu_pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -0 "$qemu_pid" 2> /dev/null && fail "guest did not power off within 60 s of guest-shutdown"
  wait "$qemu_pid" 2> /dev/null || true
  qemu_pid=
  agent_close
  grep -q 'berth-shutdown: stopping (powerdown)' "$dir/console.log" || fail "no clean shutdown on the console"
  echo "   guest-shutdown: powered off after $(elapsed "$started")s"
}

has_engine=
grep -q '^ENGINE=included' "$image/release" && has_engine=1
busybox_tar=$build/images/busybox.tar
has_docker=
command -v docker > /dev/null && [ -f "$busybox_tar" ] && has_docker=1

# --- first boot ---
boot first
wait_ready accept-new
reply=$(agent_call '{"execute":"guest-ping"}')
[ "$reply" = '{"return":{}}' ] || fail "guest-ping: $reply"
ifaces=$(agent_call '{"execute":"guest-network-get-interfaces"}')
echo "$ifaces" | grep -q '"ip-address":"10.0.2.15","ip-address-type":"ipv4","prefix":24' ||
  fail "guest-network-get-interfaces lacks 10.0.2.15/24: $ifaces"
hostname=$(agent_call '{"execute":"guest-get-host-name"}' | json_field host-name)
[ "$hostname" = vm-test ] || fail "host name from the seed not applied: $hostname"
unknown=$(agent_call '{"execute":"guest-no-such-command"}')
echo "$unknown" | grep -q CommandNotFound || fail "unknown command: $unknown"
uname=$(guest_ssh yes uname -a) || fail "ssh uname failed"
echo "   ssh: $uname"
# SFTP, as the provisioner uploads binaries: a file put and read back through dropbear's sftp-server.
echo "sftp payload $$" > "$dir/sftp-up"
sftp -q -b - -i "$dir/key" -P "$port" -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5 \
  -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes -o LogLevel=ERROR \
  root@127.0.0.1 > "$dir/sftp.log" 2>&1 << EOF || fail "sftp failed: $(cat "$dir/sftp.log")"
put $dir/sftp-up /root/sftp-up
get /root/sftp-up $dir/sftp-down
EOF
cmp -s "$dir/sftp-up" "$dir/sftp-down" || fail "the file sent over sftp did not come back the same"
echo "   sftp: put and get work"
wait_engine
# Idle: agent, berthd, dropbear, udhcpc, acpid running; no container yet.
mem_free=$(guest_ssh yes free | awk '/^Mem:/ {print $3}')
mem_used=$(agent_call '{"execute":"berth-status"}' | json_field used_kib)
run_container first
token=$(date +%s%N)
guest_ssh yes "echo $token > /var/lib/berth/vm-test-file && sync" || fail "cannot write to the data disk"
shutdown_guest

# --- second boot: same disk, same host key (StrictHostKeyChecking=yes). The seed now has no serial
# and an upper-case label, as other tools write it: found by its label, matched case-insensitively,
# and applied again (new hostname). ---
make_seed vm-test2 CIDATA
seed_serial=
boot second
wait_ready yes
hostname=$(agent_call '{"execute":"guest-get-host-name"}' | json_field host-name)
[ "$hostname" = vm-test2 ] || fail "seed labelled CIDATA (no serial) not applied: host name $hostname"
[ "$(guest_ssh yes cat /var/lib/berth/vm-test-file)" = "$token" ] || fail "file written before shutdown is gone"
guest_ssh yes 'grep -q " /var/lib/berth-disk ext4 " /proc/mounts' || fail "data disk not mounted as ext4"
wait_engine
run_container second  # the image loaded on the first boot is still on the data disk
shutdown_guest

kernel_bytes=$(stat -c %s "$image/vmlinuz")
initrd_bytes=$(stat -c %s "$image/initramfs.img")
total_mb=$(awk -v k="$kernel_bytes" -v i="$initrd_bytes" 'BEGIN {printf "%.1f", (k + i) / 1048576}')
echo "== image: vmlinuz $kernel_bytes B + initramfs.img $initrd_bytes B = $total_mb MiB (budget 60)"
echo "== idle guest memory in use: $((mem_used / 1024)) MiB (MemTotal - MemAvailable, counts the tmpfs root); free(1) 'used': $((mem_free / 1024)) MiB"
awk -v t="$total_mb" 'BEGIN {exit !(t <= 60)}' || fail "image larger than 60 MiB"
echo "PASS: vm image boots, agent, ssh, shutdown and persistence"
