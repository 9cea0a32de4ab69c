#!/usr/bin/env bash
# `docker run --network container:NAME`: a container on another one's network, through the real
# docker CLI. Expected values are what Debian's dockerd 20.10 prints for the same commands: the
# same network namespace (its loopback and address), its hostname and hosts files, no network of
# its own in inspect and ps, and the refusals, at create and at start. Needs root; finishes on its
# own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"

d run -d --name donor -h donorhost --dns 192.0.2.53 --add-host extra:192.0.2.7 busybox sleep 300 >/dev/null
donor_id=$(d inspect -f '{{.Id}}' donor)
donor_ip=$(d inspect -f '{{.NetworkSettings.IPAddress}}' donor)

# ---- the joining container lives in the donor's network ----
capture d run --rm --network container:donor busybox sh -c \
  'hostname; cat /etc/hostname; grep extra /etc/hosts; grep nameserver /etc/resolv.conf; ip -4 -o addr show eth0'
expect_eq "run --network container:donor exits 0" "$RC" 0
expect_match "its hostname, hosts file, resolv.conf and eth0 are the donor's" "$OUT" \
  "^donorhost
donorhost
192\.0\.2\.7	extra
nameserver 192\.0\.2\.53
[0-9]+: eth0    inet ${donor_ip//./\\.}/16 .*"
d exec -d donor sh -c 'nc -l -p 7777 -e echo pong'
d run -d --name joiner --network container:donor busybox sleep 300 >/dev/null
wait_until 5 d exec joiner sh -c 'netstat -ltn | grep -q :7777' || true
capture d exec joiner sh -c 'echo | nc 127.0.0.1 7777'
expect_eq "the donor's service answers on the shared loopback" "$OUT" "pong"
capture d run --rm --network "container:${donor_id:0:12}" busybox hostname
expect_eq "container:<short ID> works too" "$OUT" "donorhost"

# ---- what inspect and ps show ----
expect_eq "inspect: NetworkMode holds the donor's ID, no networks, no address, the donor's name" \
  "$(d inspect -f '{{.HostConfig.NetworkMode}}|{{json .NetworkSettings.Networks}}|{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.SandboxKey}}|{{.Config.Hostname}}' joiner)" \
  "container:$donor_id|{}|||donorhost"
expect_eq "inspect: the hosts files are the donor's" \
  "$(d inspect -f '{{.HostsPath}} {{.ResolvConfPath}} {{.HostnamePath}}' joiner)" \
  "$(d inspect -f '{{.HostsPath}} {{.ResolvConfPath}} {{.HostnamePath}}' donor)"
expect_eq "ps: no networks, no ports" "$(d ps --filter name=joiner --format '{{.Networks}}|{{.Ports}}')" "|"
capture d events --since 0 --until 0 --filter type=network --filter container=joiner --format '{{.Action}}'
expect_eq "no network connect event for it, as dockerd" "$OUT" ""

# ---- refusals at create, in dockerd's words ----
capture d create --network container: busybox true
expect_contains "container: without a name" "$ERR" "Invalid network mode: invalid container format container:<name|id>"
capture d create --network container:donor -h other busybox true
expect_contains "-h with container: networking" "$ERR" "conflicting options: hostname and the network mode"
capture d create --network container:donor -p 81:81 busybox true
expect_contains "-p with container: networking" "$ERR" "conflicting options: port publishing and the container type network mode"
capture d create --network container:donor --expose 81 busybox true
expect_contains "--expose with container: networking" "$ERR" "conflicting options: port exposing and the container type network mode"
capture d create --network container:donor --dns 1.1.1.1 busybox true
expect_contains "--dns with container: networking" "$ERR" "conflicting options: dns and the network mode"
capture d create --network container:donor --add-host a:192.0.2.1 busybox true
expect_contains "--add-host with container: networking" "$ERR" "conflicting options: custom host-to-IP mapping and the network mode"

# ---- refusals at start ----
capture d run --rm --network container:nosuch busybox true
expect_eq "a missing donor: exit 125" "$RC" 125
expect_contains "a missing donor: dockerd's message" "$ERR" "Error response from daemon: No such container: nosuch"
d create --name idle busybox true >/dev/null
idle_id=$(d inspect -f '{{.Id}}' idle)
capture d run --rm --network container:idle busybox true
expect_contains "a donor that does not run" "$ERR" "cannot join network of a non running container: $idle_id"
d create --name later --network container:idle busybox true >/dev/null
d rm idle >/dev/null
capture d start later
expect_contains "start after the donor was removed" "$ERR" "Error response from daemon: No such container: $idle_id"

# ---- the donor goes away under a running joiner ----
d stop -t 0 donor >/dev/null
expect_eq "the joiner keeps running when the donor stops, with loopback alone (eth0 left with the donor)" \
  "$(d inspect -f '{{.State.Status}}' joiner):$(d exec joiner sh -c 'ip -4 addr | grep -c inet')" "running:1"
d rm donor >/dev/null
capture d restart -t 0 joiner
expect_eq "restart without its donor: dockerd's wrapped message" "$RC:$ERR" \
  "1:Error response from daemon: Cannot restart container joiner: No such container: $donor_id"

capture berthd_netns_api POST /containers/later/update -H 'Content-Type: application/json' -d '{"CpuShares":512}'
expect_eq "update without warnings answers Warnings null, as dockerd" "$(head -n 1 <<<"$OUT")" '{"Warnings":null}'

assert_finish
