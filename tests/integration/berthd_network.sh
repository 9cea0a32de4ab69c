#!/usr/bin/env bash
# Container networking through berthd: --network none, --network host, the default bridge, and -p
# publishing reached from inside berthd's network namespace (all traffic stays in namespaces this test
# created). Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"
work=$BERTH_BERTHD_DIR/client
# Interface names, sorted, from `ip -o link` output ("2: eth0@if5: <...>").
link_names() { awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' '; }

# ---- --network none ----
capture d run --rm --network none busybox ip -o addr
expect_eq "--network none: ip addr shows only lo" "$(awk '{ print $2 }' <<<"$OUT" | sort -u)" "lo"
expect_contains "--network none: lo has 127.0.0.1" "$OUT" "inet 127.0.0.1/8"
capture d run --rm --network none busybox cat /etc/hosts
expect_contains "--network none: /etc/hosts has localhost" "$OUT" "127.0.0.1	localhost"

# ---- --network host ----
netns_links=$(berthd_netns_exec ip -o link | link_names)
capture d run --rm --network host busybox ip -o link
expect_eq "--network host: the container sees the namespace's interfaces" "$(link_names <<<"$OUT")" "$netns_links"
host_links=$(ip -o link | link_names)
if [ "$host_links" != "$netns_links" ]; then pass "--network host: berthd's namespace is not the host's"; else
  fail "--network host: berthd's namespace is not the host's" "$host_links"; fi
capture d run --rm --network host busybox hostname
expect_eq "--network host: hostname is the host's" "$OUT" "$(hostname)"

# ---- default bridge ----
capture d run --rm busybox ip -o -4 addr show eth0
expect_match "default network: eth0 has an address in 172.17.0.0/16" "$OUT" 'inet 172\.17\.[0-9]+\.[0-9]+/16'
capture d run --rm busybox ip route
expect_match "default network: default route via 172.17.0.1" "$OUT" '^default via 172\.17\.0\.1 dev eth0'
capture d network ls --format '{{.Name}} {{.Driver}}'
expect_eq "network ls: bridge, host, none" "$(sort <<<"$OUT" | tr '\n' ' ')" "bridge bridge host host none null "
d run -d --name peer --hostname peerhost busybox httpd -f -p 80 -h /etc >/dev/null
peer_ip=$(d inspect -f '{{.NetworkSettings.IPAddress}}' peer)
expect_match "inspect: NetworkSettings.IPAddress" "$peer_ip" '^172\.17\.[0-9]+\.[0-9]+$'
peer_up() { [ "$(berthd_netns_exec curl -s --max-time 2 "http://$peer_ip/hostname")" = peerhost ]; }
if wait_until 15 peer_up; then pass "the namespace reaches a container's IP"; else
  fail "the namespace reaches a container's IP" "$(berthd_netns_exec curl -sS --max-time 2 "http://$peer_ip/hostname" 2>&1)"; fi
# (busybox-static's wget segfaults in this image, so the client side is nc)
capture d run --rm busybox sh -c "printf 'GET /hostname HTTP/1.0\r\n\r\n' | nc -w 5 $peer_ip 80"
expect_eq "containers on the default bridge reach each other" "$(tail -n 1 <<<"$OUT")" "peerhost"
capture d rm -f peer

# ---- -p 8080:80 ----
mkdir -p "$work/www"
echo "hello from berth" >"$work/www/index.html"
capture d run -d --name web -p 8080:80 -v "$work/www:/www" busybox httpd -f -p 80 -h /www
expect_eq "run -d -p 8080:80 httpd exits 0" "$RC" 0
served() { berthd_netns_exec wget -qO- -T 2 http://127.0.0.1:8080/index.html; }
if wait_until 15 served; then pass "-p 8080:80: 127.0.0.1:8080 answers inside the netns"; else
  fail "-p 8080:80: 127.0.0.1:8080 answers inside the netns" "$(berthd_netns_exec wget -qO- -T 2 http://127.0.0.1:8080/index.html 2>&1)"; fi
capture berthd_netns_exec wget -qO- -T 5 http://127.0.0.1:8080/index.html
expect_eq "-p 8080:80: the served file" "$OUT" "hello from berth"
capture berthd_netns_exec curl -s --max-time 5 "http://172.17.0.1:8080/index.html"
expect_eq "-p 8080:80: reachable on the bridge gateway address too" "$OUT" "hello from berth"
capture d ps --filter name=web --format '{{.Ports}}'
expect_contains "ps PORTS shows 0.0.0.0:8080->80/tcp" "$OUT" "0.0.0.0:8080->80/tcp"
capture d port web 80
expect_contains "docker port web 80" "$OUT" "0.0.0.0:8080"
capture wget -qO- -T 2 http://127.0.0.1:8080/index.html
if [ "$OUT" != "hello from berth" ]; then pass "-p publishes only inside berthd's namespace, not on the host"; else
  fail "-p publishes only inside berthd's namespace, not on the host"; fi
capture d run -d --name web2 -p 8080:80 busybox httpd -f -p 80
expect_eq "a second -p 8080 is refused" "$RC" 125
expect_contains "second -p 8080: port is already allocated" "$ERR" "port is already allocated"
d rm -f web2 >/dev/null 2>&1 || true
capture d rm -f web
capture berthd_netns_exec wget -qO- -T 2 http://127.0.0.1:8080/index.html
if [ "$RC" -ne 0 ] && [ -z "$OUT" ]; then pass "after rm -f web the port is closed"; else
  fail "after rm -f web the port is closed" "wget exit $RC, output '$OUT'"; fi
capture d run -d --name web3 -p 127.0.0.1::80 -v "$work/www:/www" busybox httpd -f -p 80 -h /www
port=$(d port web3 80/tcp | sed -E 's/.*://' | head -n 1)
expect_match "-p 127.0.0.1::80 picks an ephemeral host port" "$port" '^[0-9]+$'
served3() { berthd_netns_exec wget -qO- -T 2 "http://127.0.0.1:$port/index.html"; }
if wait_until 15 served3; then pass "-p 127.0.0.1::80 serves on the ephemeral port"; else fail "-p 127.0.0.1::80 serves on the ephemeral port" "port '$port'"; fi
capture d rm -f web3

# ---- network inspect bridge agrees with the containers on it ----
d run -d --name attached busybox sleep 600 >/dev/null
capture d network inspect -f '{{.Id}}' bridge
bridge_id=$OUT
capture d inspect -f '{{.NetworkSettings.Networks.bridge.NetworkID}}' attached
expect_eq "a container's NetworkID is the bridge network's Id" "$OUT" "$bridge_id"
capture d network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' bridge
expect_match "network inspect lists the attached container with its address" "$OUT" '^attached 172\.17\.[0-9]+\.[0-9]+/16$'
capture d network inspect -f '{{index .Options "com.docker.network.bridge.default_bridge"}}' bridge
expect_eq "network inspect: dockerd's bridge options" "$OUT" "true"
d rm -f attached >/dev/null

capture d ps -aq
expect_eq "no containers left" "$OUT" ""
assert_finish
