#!/usr/bin/env bash
# How fast a berth machine comes up under software emulation, and how small it is. Issue 4's targets:
#   create -> berthd answering over TLS     <= 10 s (median of RUNS, no KVM)
#   kernel + initramfs                      <= 60 MB
#   idle guest memory in use                <= 64 MB
# Each run creates a machine through the libvirt driver (tests/driver_e2e, the driver's own code) with
# user-mode networking, so SSH and the engine port are forwarded to 127.0.0.1 only, then removes it.
#
# Breakdown of one run (wall clock from the start of create; guest uptimes from the console log):
#   define   create() returns: pool, boot files and seed uploaded as volumes, data disk, domain defined
#            and started
#   user     guest uptime when the kernel runs /init (kernel + initramfs unpacking)
#   stage2   guest uptime when stage 1 hands over to init (data disk ready, seed applied)
#   agent    the guest agent answers guest-ping through libvirt
#   tls      berthd answers GET /_ping over mutual TLS on the forwarded engine port. Its certificates
#            and daemon.json ride in the seed (MachineSpec::engine_files), as the machine manager
#            passes them, so berthd listens with TLS from its first start. Certificates are made
#            once, before the runs (the manager makes them before create too).
#   ssh      SSH with the key from the seed runs a command (forwarded 127.0.0.1 port)
# Then, once per run: guest memory in use (MemTotal - MemAvailable, berth-status) after 5 s idle.
#
# Usage (root): bench/machine_boot.sh [RUNS]   (default 5). BERTH_BENCH_VIRT_TYPE=qemu|kvm|auto
# (default qemu: software emulation). Finishes by itself; removes every machine it made.
set -euo pipefail
cd "$(dirname "$0")/.."
export BERTH_BUILD_DIR=${BERTH_BUILD_DIR:-$PWD/build}
export BERTH_LOG_LEVEL=${BERTH_LOG_LEVEL:-warn}   # driver_e2e: errors and warnings only
runs=${1:-5}
virt_type=${BERTH_BENCH_VIRT_TYPE:-qemu}
image=$BERTH_BUILD_DIR/images/vm
drv=$BERTH_BUILD_DIR/tests/driver_e2e
[ "$(id -u)" -eq 0 ] || { echo "bench/machine_boot.sh: run as root (libvirt qemu:///system)"; exit 1; }
[ -x "$drv" ] || { echo "missing $drv: scripts/build"; exit 1; }
for f in vmlinuz initramfs.img; do
  [ -f "$image/$f" ] || { echo "missing $image/$f: scripts/build"; exit 1; }
done
# shellcheck source=../tests/fixtures/libvirtd.sh
source tests/fixtures/libvirtd.sh

work=$(mktemp -d /tmp/bbootXXXXXX)
chmod 0711 "$work"   # QEMU (libvirt-qemu) reaches the pool under it
pool=berth-bench-$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')
state=
cleanup() {
  set +e
  [ -n "$state" ] && [ -f "$state" ] && timeout 120 "$drv" "$state" remove > /dev/null 2>&1
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
# until_ok SECONDS CMD...: polls CMD every 0.1 s; fails the bench when it never succeeds.
until_ok() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" > /dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "gave up waiting for: $*"; return 1; }
    sleep 0.1
  done
}

# --- once: SSH key, CA + server cert (SAN 127.0.0.1: the forwarded port) + client cert ---
ssh-keygen -q -t ed25519 -N '' -C berth-bench -f "$work/key"
certs=$work/certs
mkdir -p "$certs/guest"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2> /dev/null; }
sign() {  # sign NAME CN EXTENSIONS
  key "$certs/$1-key.pem"
  openssl req -new -key "$certs/$1-key.pem" -out "$certs/$1.csr" -subj "/CN=$2" 2> /dev/null
  printf '%s\n' "$3" > "$certs/$1.ext"
  openssl x509 -req -in "$certs/$1.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca-key.pem" \
    -CAcreateserial -out "$certs/$1.pem" -days 2 -extfile "$certs/$1.ext" 2> /dev/null
}
key "$certs/ca-key.pem"
openssl req -x509 -new -key "$certs/ca-key.pem" -out "$certs/ca.pem" -days 2 -subj /CN=berth-bench-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
sign server berth-bench $'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'
sign client client $'extendedKeyUsage=clientAuth'
# What goes to the machine's /etc/berth, by the same relative paths.
mkdir -p "$certs/guest/certs"
cp "$certs/ca.pem" "$certs/server.pem" "$certs/server-key.pem" "$certs/guest/certs/"
cat > "$certs/guest/daemon.json" << 'EOF'
{"hosts": ["unix:///run/berth/berth.sock", "tcp://0.0.0.0:2376"], "tlsverify": true,
 "tlscacert": "/etc/berth/certs/ca.pem", "tlscert": "/etc/berth/certs/server.pem",
 "tlskey": "/etc/berth/certs/server-key.pem"}
EOF

libvirtd_ensure_host || { echo "libvirtd on qemu:///system is not available"; exit 1; }

kernel_bytes=$(stat -c %s "$image/vmlinuz")
initrd_bytes=$(stat -c %s "$image/initramfs.img")
echo "== berth machine boot, $runs runs, domain type $virt_type, 1 vCPU, 512 MiB, user-mode networking"
echo "   (load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
row() { printf '%-6s %7s %7s %7s %7s %7s %7s %8s\n' "$@"; }
row run define user stage2 agent tls ssh mem-MiB
declare -a c_define c_user c_stage2 c_agent c_ssh c_tls c_mem
for ((i = 1; i <= runs; i++)); do
  name=bench-$i-$(od -An -N2 -tx1 /dev/urandom | tr -d ' ')
  state=$work/$name.json
  mdir=$work/machines/$name
  t0=$(now)
  timeout 120 "$drv" "$state" create "$name" --image-dir "$image" --machine-dir "$mdir" --key "$work/key.pub" \
    --network user --virt-type "$virt_type" --memory 512 --disk-gb 2 --pool "$pool" \
    --pool-path "$work/pool" --engine-files "$certs/guest" > /dev/null
  t_define=$(since "$t0")
  timeout 200 "$drv" "$state" wait 180 > /dev/null
  t_agent=$(since "$t0")
  port=$("$drv" "$state" ssh-port)
  url=$("$drv" "$state" url)
  tls_ping() {
    [ "$(curl -sS --max-time 2 --cacert "$certs/ca.pem" --cert "$certs/client.pem" \
      --key "$certs/client-key.pem" "https://${url#tcp://}/_ping")" = OK ]
  }
  until_ok 120 tls_ping
  t_tls=$(since "$t0")
  sshm() {
    timeout 30 ssh -i "$work/key" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=3 root@127.0.0.1 "$@"
  }
  until_ok 60 sshm true
  t_ssh=$(since "$t0")

  sleep 5
  used_kib=$(timeout 30 "$drv" "$state" agent '{"execute":"berth-status"}' | sed -n 's/.*"used_kib":\([0-9]*\).*/\1/p')
  mem=$((used_kib / 1024))
  uptime_at() { sed -n "s/.*berth-init: \\[\\([0-9.]*\\)\\] $1.*/\\1/p" "$mdir/console.log" | head -n 1; }
  t_user=$(uptime_at 'userspace started')
  t_stage2=$(uptime_at 'starting init')
  row "$i" "$t_define" "${t_user:-?}" "${t_stage2:-?}" "$t_agent" "$t_tls" "$t_ssh" "$mem"
  c_define+=("$t_define") c_user+=("${t_user:-0}") c_stage2+=("${t_stage2:-0}") c_agent+=("$t_agent")
  c_ssh+=("$t_ssh") c_tls+=("$t_tls") c_mem+=("$mem")
  timeout 120 "$drv" "$state" remove > /dev/null
  state=
done
med() { printf '%s\n' "$@" | median; }
row median "$(med "${c_define[@]}")" "$(med "${c_user[@]}")" "$(med "${c_stage2[@]}")" \
  "$(med "${c_agent[@]}")" "$(med "${c_tls[@]}")" "$(med "${c_ssh[@]}")" "$(med "${c_mem[@]}")"
echo
echo "create -> agent ready:            $(med "${c_agent[@]}") s (median)"
echo "create -> berthd /_ping over TLS: $(med "${c_tls[@]}") s (median; target <= 10 s without KVM)"
awk -v k="$kernel_bytes" -v i="$initrd_bytes" 'BEGIN {
  printf "kernel + initramfs:               %.1f MB (%.1f MiB: vmlinuz %d + initramfs %d bytes; target <= 60 MB)\n",
    (k + i) / 1e6, (k + i) / 1048576, k, i }'
echo "idle guest memory in use:         $(med "${c_mem[@]}") MiB (median; MemTotal - MemAvailable; target <= 64 MB)"
echo "load average at end:              $(cut -d' ' -f1-3 /proc/loadavg)"
