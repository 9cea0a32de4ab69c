#!/usr/bin/env bash
# Issue 5 acceptance: "the generic driver provisions a freshly booted berth VM treated as an existing
# host". Boots a berth VM through the libvirt driver (tests/driver_e2e) with user-mode networking, so
# SSH and the engine port are forwarded to 127.0.0.1 only; then the generic driver and the real
# SSH provisioner (libssh) set it up: binaries, certificates, daemon.json, engine restart, TLS check
# (hidden Catch2 cases [.machine_provision_e2e] in berth_unit_tests). Finally curl, from outside,
# checks the engine answers /_ping over mutual TLS and refuses a client without a certificate.
# Root. Removes the machine on every exit path. BERTH_E2E_VIRT_TYPE (auto|kvm|qemu, default auto).
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
tests_bin=$build_dir/tests/berth_unit_tests
bins=${BERTH_E2E_BIN_DIR:-$build_dir/bin}
[ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 must run as root"; exit 1; }
for f in "$drv" "$tests_bin" "$bins/berthd" "$bins/berth-shim" "$bins/berth-agent" \
  "$image/vmlinuz" "$image/initramfs.img"; do
  [ -e "$f" ] || { echo "FAIL: $f missing: build it first"; exit 1; }
done

work=$(mktemp -d /tmp/bprovXXXXXX)
chmod 0711 "$work"   # QEMU (libvirt-qemu) reaches the pool under it
suffix=$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')
pool=berth-prov-$suffix
st=$work/machine.json
cleanup() {
  [ -f "$st" ] && timeout 120 "$drv" "$st" remove > /dev/null 2>&1
  timeout 20 virsh -c qemu:///system pool-destroy "$pool" > /dev/null 2>&1
  timeout 20 virsh -c qemu:///system pool-undefine "$pool" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
libvirtd_ensure_host || { echo "FAIL: libvirtd on qemu:///system is not available"; exit 1; }

# The machine's SSH key, and certificates as the machine manager makes them: a CA, a server
# certificate for the forwarded address, a client certificate.
ssh-keygen -q -t ed25519 -N '' -C berth-prov-e2e -f "$work/key"
m=$work/machine-dir
mkdir -p "$m" "$work/bin"
gen() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2> /dev/null; }
gen "$m/ca-key.pem"
openssl req -x509 -new -key "$m/ca-key.pem" -out "$m/ca.pem" -days 2 -subj /CN=berth-prov-e2e-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
sign() {  # sign CERT KEY CN EXTENSIONS
  gen "$2"
  openssl req -new -key "$2" -out "$work/req.csr" -subj "/CN=$3" 2> /dev/null
  printf '%s\n' "$4" > "$work/ext"
  openssl x509 -req -in "$work/req.csr" -CA "$m/ca.pem" -CAkey "$m/ca-key.pem" -CAcreateserial \
    -out "$1" -days 2 -extfile "$work/ext" 2> /dev/null
}
sign "$m/server.pem" "$m/server-key.pem" generic-e2e \
  $'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'
sign "$m/cert.pem" "$m/key.pem" client $'extendedKeyUsage=clientAuth'
# Stripped, as the VM image carries them: what a user's machine would be sent.
for b in berthd berth-shim berth-agent; do strip -o "$work/bin/$b" "$bins/$b"; done

t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
expect_ok "boot a berth VM (user-mode networking)" "$drv" "$st" create "prov-$suffix" \
  --image-dir "$image" --machine-dir "$work/vm" --key "$work/key.pub" --network user \
  --virt-type "$virt_type" --memory 512 --disk-gb 2 --pool "$pool" --pool-path "$work/pool"
expect_ok "its guest agent answers" "$drv" "$st" wait 180
ssh_port=$("$drv" "$st" ssh-port)
url=$("$drv" "$st" url)
engine_port=${url##*:}
echo "TIMING boot->agent=$(since "$t0")s ssh=127.0.0.1:$ssh_port engine=$url"

t1=$(date +%s.%N)
capture timeout 400 env BERTH_PROV_E2E_SSH_PORT="$ssh_port" BERTH_PROV_E2E_ENGINE_PORT="$engine_port" \
  BERTH_PROV_E2E_KEY="$work/key" BERTH_PROV_E2E_MACHINE_DIR="$m" BERTH_PROV_E2E_BIN_DIR="$work/bin" \
  "$tests_bin" "[.machine_provision_e2e]" -s
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"All tests passed"* ]]; then
  pass "generic driver + SSH provisioner: TLS engine up, re-provision, changed host key refused"
else
  fail "generic driver + SSH provisioner" "$OUT" "$ERR"
fi
grep -E '^\s+\[|^provisioned' <<< "$OUT"
echo "TIMING provisioning (three runs)=$(since "$t1")s"

ping() { curl -sS --max-time 10 --cacert "$m/ca.pem" "$@" "https://127.0.0.1:$engine_port/_ping"; }
capture ping --cert "$m/cert.pem" --key "$m/key.pem"
expect_eq "curl with the client certificate: /_ping" "$OUT" "OK"
capture ping
expect_eq "curl without a client certificate is refused" "$([ "$RC" -ne 0 ] && echo refused)" "refused"
capture ssh -i "$work/key" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o BatchMode=yes -o LogLevel=ERROR root@127.0.0.1 cat /etc/berth/daemon.json
expect_contains "daemon.json on the machine has TLS verification" "$OUT" '"tlsverify": true'
assert_finish
