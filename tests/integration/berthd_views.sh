#!/usr/bin/env bash
# What berthd shows of containers where the audit found it unlike dockerd: the ports of ps, inspect
# and docker port (only while attached, exposed ones included, bindings in dockerd's order), the
# stored MemorySwap, system df -v's order, and the refusals of bad filters. Expected values are what
# Debian's dockerd 20.10 prints for the same commands through the same docker CLI. Needs root;
# finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"

ports_of() { d inspect -f '{{json .NetworkSettings.Ports}}' "$1"; }
ps_ports() { d ps -a --filter "name=^$1\$" --format '{{.Ports}}'; }

# ---- ports while running: exposed ones too, bindings in dockerd's order ----
capture d run -d --name p1 -p 127.0.0.1::80 -p 8080-8081:80-81 -p 5353:53/udp --expose 90 busybox sleep 300
expect_eq "run -d p1 with -p and --expose exits 0" "$RC" 0
ip80='127\.0\.0\.1:[0-9]+'
expect_match "ps PORTS of a running container lists the exposed port first, as dockerd" "$(ps_ports p1)" \
  "^90/tcp, 0\.0\.0\.0:5353->53/udp, 0\.0\.0\.0:8080->80/tcp, $ip80->80/tcp, 0\.0\.0\.0:8081->81/tcp\$"
expect_match "inspect Ports of a running container: exposed 90/tcp is null, 0.0.0.0 before 127.0.0.1" "$(ports_of p1)" \
  '^\{"53/udp":\[\{"HostIp":"0\.0\.0\.0","HostPort":"5353"\}\],"80/tcp":\[\{"HostIp":"0\.0\.0\.0","HostPort":"8080"\},\{"HostIp":"127\.0\.0\.1","HostPort":"[0-9]+"\}\],"81/tcp":\[\{"HostIp":"0\.0\.0\.0","HostPort":"8081"\}\],"90/tcp":null\}$'
capture d port p1
expect_match "docker port p1 lists every binding" "$OUT" \
  "^53/udp -> 0\.0\.0\.0:5353
80/tcp -> 0\.0\.0\.0:8080
80/tcp -> $ip80
81/tcp -> 0\.0\.0\.0:8081\$"
capture d port p1 90
expect_eq "docker port of an exposed-only port: the CLI's refusal" "$RC:$ERR" "1:Error: No public port '90' published for p1"

capture d run -d --name p2 --expose 90 busybox sleep 300
expect_eq "inspect Ports with --expose alone" "$(ports_of p2)" '{"90/tcp":null}'
expect_eq "ps PORTS with --expose alone" "$(ps_ports p2)" "90/tcp"

d run -d --name p3 -p 127.0.0.1::80 -p 8090:80 busybox sleep 300 >/dev/null
expect_match "two bindings of one tcp port: reverse order of request, as dockerd" "$(ports_of p3)" \
  '^\{"80/tcp":\[\{"HostIp":"0\.0\.0\.0","HostPort":"8090"\},\{"HostIp":"127\.0\.0\.1","HostPort":"[0-9]+"\}\]\}$'
expect_match "ps PORTS of two bindings of one port" "$(ps_ports p3)" "^0\.0\.0\.0:8090->80/tcp, $ip80->80/tcp\$"

d run -d --name p4 -p 5000:53/udp -p 127.0.0.1::53/udp -p 6000:53/udp -p 127.0.0.1:7000:53/udp busybox sleep 300 >/dev/null
expect_match "udp bindings of one port: highest host port first, picked ones last, as dockerd" "$(ports_of p4)" \
  '^\{"53/udp":\[\{"HostIp":"127\.0\.0\.1","HostPort":"7000"\},\{"HostIp":"0\.0\.0\.0","HostPort":"6000"\},\{"HostIp":"0\.0\.0\.0","HostPort":"5000"\},\{"HostIp":"127\.0\.0\.1","HostPort":"[0-9]+"\}\]\}$'

d run -d --name p5 -p 8100-8101:8100-8101 -p 127.0.0.1:8102:8102/udp -p 8103:8103/udp -p 8104:8104/udp busybox sleep 300 >/dev/null
expect_eq "ps PORTS collapses ranges as dockerd's CLI shows them" "$(ps_ports p5)" \
  "0.0.0.0:8100-8101->8100-8101/tcp, 127.0.0.1:8102->8102/udp, 0.0.0.0:8103-8104->8103-8104/udp"

d run -d --name p6 --network none --expose 90 -p 8111:80 busybox sleep 300 >/dev/null
expect_eq "inspect Ports on --network none: {}" "$(ports_of p6)" "{}"
expect_eq "ps PORTS on --network none: empty" "$(ps_ports p6)" ""

# ---- ports while created or stopped: none ----
d create --name p7 -p 127.0.0.1::80 -p 8080-8081:80-81 -p 5353:53/udp --expose 90 busybox sleep 300 >/dev/null
expect_eq "inspect Ports of a created container: {}" "$(ports_of p7)" "{}"
expect_eq "ps PORTS of a created container: empty" "$(ps_ports p7)" ""
capture d port p7 80
expect_eq "docker port of a created container: nothing published" "$RC:$ERR" "1:Error: No public port '80' published for p7"
d stop -t 0 p1 >/dev/null
expect_eq "inspect Ports after stop: {}" "$(ports_of p1)" "{}"
expect_eq "ps PORTS after stop: empty" "$(ps_ports p1)" ""
capture d port p1
expect_eq "docker port after stop: nothing" "$RC:$OUT" "0:"
capture d ps -a --filter expose=90 --format '{{.Names}}'
expect_eq "ps --filter expose=90: only the running, attached container, as dockerd" "$OUT" "p2"

# ---- HostConfig.MemorySwap as dockerd stores it ----
swap_of() { d inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' "$1"; }
d create --name m1 -m 32m busybox >/dev/null
expect_eq "create -m 32m stores MemorySwap 2x memory" "$(swap_of m1)" "33554432 67108864"
d create --name m2 -m 32m --memory-swap -1 busybox >/dev/null
expect_eq "create -m 32m --memory-swap -1 keeps -1" "$(swap_of m2)" "33554432 -1"
d create --name m3 -m 32m --memory-swap 100m busybox >/dev/null
expect_eq "create -m 32m --memory-swap 100m keeps 100m" "$(swap_of m3)" "33554432 104857600"
d create --name m4 busybox >/dev/null
expect_eq "create without -m: no swap limit" "$(swap_of m4)" "0 0"
capture d update -m 64m m1
expect_eq "update -m 64m up to the stored swap exits 0" "$OUT:$RC" "m1:0"
expect_eq "update -m 64m keeps the stored swap, as dockerd" "$(swap_of m1)" "67108864 67108864"
capture d update -m 64m m2
expect_eq "update -m 64m over swap -1: dockerd's conflict" "$RC:$ERR" \
  "1:Error response from daemon: Cannot update container $(d inspect -f '{{.Id}}' m2): Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
d update -m 16m m3 >/dev/null
expect_eq "update -m 16m keeps the stored swap" "$(swap_of m3)" "16777216 104857600"

# ---- system df -v: newest first ----
d commit p2 img1 >/dev/null
sleep 1.1 # image creation times are whole seconds
d commit p3 img2 >/dev/null
capture d system df -v --format '{{range .Images}}{{.Repository}} {{end}}'
expect_eq "system df -v lists images newest first" "$OUT" "img2 img1 busybox "
capture d system df -v --format '{{range .Containers}}{{.Names}} {{end}}'
expect_eq "system df -v lists containers newest first" "$OUT" "m4 m3 m2 m1 p7 p6 p5 p4 p3 p2 p1 "

# ---- refused filters: dockerd's texts ----
daemon_says() { printf '1:Error response from daemon: %s' "$1"; }
capture d ps --filter health=bogus
expect_eq "ps --filter health=bogus" "$RC:$ERR" "$(daemon_says 'Unrecognised filter value for health: bogus')"
capture d ps --filter health=none --format '{{.Names}}'
expect_eq "ps --filter health=none is accepted" "$RC" 0
capture d ps --filter bogus=1
expect_eq "ps --filter bogus=1" "$RC:$ERR" "$(daemon_says "Invalid filter 'bogus'")"
capture d ps --filter status=bogus
expect_eq "ps --filter status=bogus" "$RC:$ERR" "$(daemon_says "Invalid filter 'status=bogus'")"
capture d ps --filter is-task=bogus
expect_eq "ps --filter is-task=bogus" "$RC:$ERR" "$(daemon_says "Invalid filter 'is-task=[bogus]'")"
capture d ps --filter exited=abc
expect_eq "ps --filter exited=abc" "$RC:$ERR" "$(daemon_says 'strconv.Atoi: parsing "abc": invalid syntax')"
capture d ps --filter publish=bogus
expect_eq "ps --filter publish=bogus" "$RC:$ERR" \
  "$(daemon_says 'error while looking up for publish bogus: strconv.ParseUint: parsing "bogus": invalid syntax')"
capture d images --filter bogus=1
expect_eq "images --filter bogus=1" "$RC:$ERR" "$(daemon_says "Invalid filter 'bogus'")"
capture d images --filter dangling=maybe
expect_eq "images --filter dangling=maybe" "$RC:$ERR" "$(daemon_says "Invalid filter 'dangling=[maybe]'")"
for cmd in "container prune" "image prune" "network prune" "volume prune"; do
  # shellcheck disable=SC2086
  capture d $cmd -f --filter bogus=1
  expect_eq "$cmd --filter bogus=1" "$RC:$ERR" "$(daemon_says "Invalid filter 'bogus'")"
done
for cmd in "network ls" "volume ls"; do
  # shellcheck disable=SC2086
  capture d $cmd --filter bogus=1
  expect_eq "$cmd --filter bogus=1" "$RC:$ERR" "$(daemon_says "Invalid filter 'bogus'")"
done
for cmd in "container prune" "image prune" "network prune"; do
  # shellcheck disable=SC2086
  capture d $cmd -f --filter until=bad
  expect_eq "$cmd --filter until=bad" "$RC:$ERR" "$(daemon_says 'failed to parse value as time or duration: "bad"')"
done
capture d container prune -f --filter until=10m
expect_eq "container prune --filter until=10m is accepted" "$RC" 0

# ---- ps names the image by ID once the container's reference no longer names it ----
d tag busybox stale:one
d create --name stale1 stale:one true >/dev/null
d create --name stale2 busybox true >/dev/null
image_id=$(d inspect -f '{{.Image}}' stale1)
d rmi stale:one >/dev/null
expect_eq "ps: a removed tag shows as the image's short ID, another reference as itself (dockerd)" \
  "$(d ps -a --filter name=stale --format '{{.Names}} {{.Image}}' | sort)" \
  "stale1 ${image_id:7:12}
stale2 busybox"
d rm stale1 stale2 >/dev/null

vol_dir=$(mktemp -d)
d create --name withbind -v "$vol_dir:/data" busybox true >/dev/null
expect_eq "ps --filter volume=<a bind's host source> matches, as dockerd" \
  "$(d ps -a --filter "volume=$vol_dir" --format '{{.Names}}'):$(d ps -a --filter volume=/data --format '{{.Names}}')" \
  "withbind:withbind"
d rm withbind >/dev/null
rmdir "$vol_dir"

# ---- inspect: the files once started, the overlay's layers ----
d create --name files busybox true >/dev/null
expect_eq "a created container names no files and no log yet, as dockerd" \
  "$(d inspect -f '{{.ResolvConfPath}}|{{.HostnamePath}}|{{.HostsPath}}|{{.LogPath}}' files)" "|||"
d start files >/dev/null
capture d inspect -f '{{.ResolvConfPath}}|{{.HostnamePath}}|{{.HostsPath}}|{{.LogPath}}' files
expect_match "once started it names them" "$OUT" '^/.*/resolv\.conf\|/.*/hostname\|/.*/hosts\|/.*-json\.log$'
lower=$(d inspect -f '{{.GraphDriver.Data.LowerDir}}' files)
expect_eq "GraphDriver.Data.LowerDir: the init layer, then busybox's one layer" \
  "$(tr ':' '\n' <<<"$lower" | wc -l)" 2
lower_ok=yes
for dir in ${lower//:/ }; do [ -d "$dir" ] || lower_ok="missing $dir"; done
expect_eq "... each of them a directory" "$lower_ok" yes
d rm files >/dev/null

# ---- shapes clients of API 1.41 index without checking (dockerd 20.10's) ----
api141() { berthd_netns_api GET "/v1.41$1" | head -n -1; }
pyget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps(eval('d' + sys.argv[1])))" "$1"; }
expect_eq "image inspect at 1.41: every config field, null when unset" \
  "$(api141 /images/busybox/json | pyget '["Config"]["Entrypoint"], d["ContainerConfig"]["Cmd"], d["Container"], len(d["Config"])')" \
  '[null, null, "", 17]'
d run -d --name shapes --network none -u 1000 -l team=infra busybox sleep 300 >/dev/null
expect_eq "inspect, --network none: the top-level address fields, empty; no pids limit is null" \
  "$(api141 /containers/shapes/json | pyget '["NetworkSettings"]["IPAddress"], d["NetworkSettings"]["MacAddress"], d["HostConfig"]["PidsLimit"], d["NetworkSettings"]["Networks"]["none"]["NetworkID"] != ""')" \
  '["", "", null, true]'
exec_since=$(date +%s.%N)
exec_id=$(d exec -d shapes true >/dev/null; berthd_netns_api POST /containers/shapes/exec \
  -H 'Content-Type: application/json' -d '{"Cmd":["true"]}' | head -1 | pyget '["Id"]' | tr -d '"')
expect_eq "exec inspect: the container's user when the exec names none" \
  "$(api141 "/exec/$exec_id/json" | pyget '["ProcessConfig"]["user"]')" '"1000"'
capture d events --since "$exec_since" --until "$(($(date +%s) + 1))" --filter label=team=infra \
  --filter event=exec_create --format '{{.Action}}|{{.Actor.Attributes.team}}'
expect_contains "exec events carry the container's labels; the action as dockerd words it" "$OUT" \
  "exec_create: true |infra"
d stop -t 0 shapes >/dev/null
expect_eq "stats of a stopped container: dockerd's empty sample" \
  "$(api141 '/containers/shapes/stats?stream=false' | pyget '["read"], d["blkio_stats"]["io_serviced_recursive"], "networks" in d')" \
  '["0001-01-01T00:00:00Z", null, false]'
d rm shapes >/dev/null

assert_finish
