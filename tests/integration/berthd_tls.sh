#!/usr/bin/env bash
# berthd's TCP listener with mutual TLS (-H tcp://127.0.0.1:2376 --tlsverify): the docker CLI with a
# client certificate from the right CA gets in; without one, with one from another CA, or without TLS it
# is refused. Certificates are made here with openssl. The listener lives in berthd's network namespace,
# so every client runs there (berthd_netns_exec). Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"

certs=$(mktemp -d /tmp/berthd-tls.XXXXXX)
trap 'rm -rf "$certs"' EXIT   # replaced by berthd_test_setup's trap; removed again below

# ---- certificates: CA, server (SANs 127.0.0.1, localhost), client; and a second, foreign CA ----
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {   # ca NAME CN
  key "$certs/$1-key.pem"
  openssl req -x509 -new -key "$certs/$1-key.pem" -out "$certs/$1.pem" -days 2 -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
sign() {   # sign NAME CN CA EXTENSIONS
  key "$certs/$1-key.pem"
  openssl req -new -key "$certs/$1-key.pem" -out "$certs/$1.csr" -subj "/CN=$2" 2>/dev/null
  printf '%s\n' "$4" >"$certs/$1.ext"
  openssl x509 -req -in "$certs/$1.csr" -CA "$certs/$3.pem" -CAkey "$certs/$3-key.pem" -CAcreateserial \
    -out "$certs/$1-cert.pem" -days 2 -extfile "$certs/$1.ext" 2>/dev/null
}
ca ca berth-test-ca
ca otherca other-test-ca
sign server localhost ca $'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature'
sign client client ca $'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature'
sign rogue client otherca $'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature'
# DOCKER_CERT_PATH layout: ca.pem, cert.pem, key.pem
mkdir -p "$certs/client-dir"
cp "$certs/ca.pem" "$certs/client-dir/ca.pem"
cp "$certs/client-cert.pem" "$certs/client-dir/cert.pem"
cp "$certs/client-key.pem" "$certs/client-dir/key.pem"

BERTH_TEST_NO_LOAD=1 berthd_test_setup -H tcp://127.0.0.1:2376 --tlsverify \
  --tlscacert "$certs/ca.pem" --tlscert "$certs/server-cert.pem" --tlskey "$certs/server-key.pem"
trap '_berthd_test_exit; rm -rf "$certs"' EXIT

# The docker CLI inside the netns against the TCP listener, with no client env leaking in.
tcp_docker() {
  berthd_netns_exec env -u DOCKER_HOST -u DOCKER_API_VERSION -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY \
    -u DOCKER_CERT_PATH DOCKER_CONFIG="$BERTH_BERTHD_DIR/client" docker -H tcp://127.0.0.1:2376 "$@"
}

capture tcp_docker --tlsverify --tlscacert "$certs/ca.pem" --tlscert "$certs/client-cert.pem" \
  --tlskey "$certs/client-key.pem" version --format '{{.Server.APIVersion}} {{.Server.Os}}'
expect_eq "docker --tlsverify with a client cert from the CA: version works" "$RC:$OUT" "0:1.50 linux"
capture tcp_docker --tlsverify --tlscacert "$certs/ca.pem" --tlscert "$certs/client-cert.pem" \
  --tlskey "$certs/client-key.pem" load -i "$BERTH_BUILD_DIR/images/busybox.tar"
expect_eq "docker load over TLS" "$OUT" "Loaded image: busybox:latest"
capture tcp_docker --tlsverify --tlscacert "$certs/ca.pem" --tlscert "$certs/client-cert.pem" \
  --tlskey "$certs/client-key.pem" run --rm --network none busybox echo over-tls
expect_eq "docker run (attach, wait) over TLS" "$OUT" "over-tls"
capture berthd_netns_exec env -u DOCKER_API_VERSION -u DOCKER_CONTEXT DOCKER_HOST=tcp://127.0.0.1:2376 \
  DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$certs/client-dir" DOCKER_CONFIG="$BERTH_BERTHD_DIR/client" \
  docker images --format '{{.Repository}}:{{.Tag}}'
expect_eq "DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=… (what berth machine env prints) works" "$RC:$OUT" "0:busybox:latest"
capture berthd_netns_exec curl -sS --max-time 10 --cacert "$certs/ca.pem" --cert "$certs/client-cert.pem" \
  --key "$certs/client-key.pem" https://localhost:2376/_ping
expect_eq "the server certificate is valid for localhost too (curl /_ping)" "$RC:$OUT" "0:OK"

capture tcp_docker --tlsverify --tlscacert "$certs/ca.pem" version
expect_eq "without a client certificate: refused" "$((RC != 0))" 1
expect_match "without a client certificate: the error mentions tls/certificate" "$OUT$ERR" '(certificate|tls|TLS)'
expect_not_contains "without a client certificate: no server part in the output" "$OUT" "Server:"

capture tcp_docker --tlsverify --tlscacert "$certs/ca.pem" --tlscert "$certs/rogue-cert.pem" \
  --tlskey "$certs/rogue-key.pem" version
expect_eq "client certificate from another CA: refused" "$((RC != 0))" 1
expect_match "client certificate from another CA: the error mentions tls/certificate" "$OUT$ERR" '(certificate|tls|TLS)'

capture tcp_docker --tlsverify --tlscacert "$certs/otherca.pem" --tlscert "$certs/client-cert.pem" \
  --tlskey "$certs/client-key.pem" version
expect_eq "server not signed by the CA the client trusts: refused by the client" "$((RC != 0))" 1
expect_contains "server from an unknown CA: x509 error" "$OUT$ERR" "certificate signed by unknown authority"

capture tcp_docker version
expect_eq "plain HTTP to the TLS port: refused" "$((RC != 0))" 1
capture berthd_netns_exec curl -s --max-time 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:2376/_ping
if [ "$OUT" != 200 ]; then pass "plain HTTP /_ping to the TLS port gets no 200 ($OUT)"; else fail "plain HTTP /_ping to the TLS port gets no 200"; fi
capture berthd_netns_exec curl -sS --max-time 10 --cacert "$certs/ca.pem" https://127.0.0.1:2376/_ping
expect_eq "curl without a client certificate: refused" "$((RC != 0))" 1

capture berthd_netns_docker version --format '{{.Server.APIVersion}}'
expect_eq "the unix socket still works without TLS" "$RC:$OUT" "0:1.50"
capture berthd_netns_exec curl -s --max-time 10 --cacert "$certs/ca.pem" --cert "$certs/client-cert.pem" \
  --key "$certs/client-key.pem" https://127.0.0.1:2376/_ping
expect_eq "berthd still serves TLS after the refused handshakes" "$OUT" "OK"
if process_alive "$BERTH_BERTHD_PID"; then pass "berthd survived the bad clients"; else fail "berthd survived the bad clients"; fi

assert_finish
