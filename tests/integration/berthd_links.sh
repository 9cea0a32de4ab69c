#!/usr/bin/env bash
# Legacy links (`docker run --link NAME:ALIAS`) on the default bridge, through the real docker CLI.
# Expected values are what Debian's dockerd 20.10 prints for the same commands: the linking
# container's /etc/hosts line and ALIAS_* variables (in processes and execs), HostConfig.Links,
# the linked container's extra name in ps, the link's name as a container reference, `rm -l`, the
# refusals, and the linking container's /etc/hosts following the linked one to a new address.
# Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"

ip_of() { d inspect -f '{{.NetworkSettings.IPAddress}}' "$1"; }

d run -d --name db -e FOO=bar -e HOME=/h -e EMPTY= --expose 6379 --expose 7000-7002/udp \
  --expose 8080 -p 127.0.0.1:9090:90 busybox sleep 300 >/dev/null
db_ip=$(ip_of db)
db_host=$(d inspect -f '{{.Config.Hostname}}' db)

# ---- the linking container's variables and /etc/hosts ----
# `env` itself as the process: a shell would print its variables in an order of its own.
capture d run --rm --name web --link db:my-db busybox env
expect_eq "run --link db:my-db exits 0" "$RC" 0
expect_eq "the link's variables, in dockerd's order (START/END for a run of 3 ports, HOME/PATH left out)" \
  "$(grep '^MY_DB_' <<<"$OUT" | grep -v '^MY_DB_ENV_')" \
"MY_DB_PORT=tcp://$db_ip:90
MY_DB_PORT_7000_UDP_START=udp://$db_ip:7000
MY_DB_PORT_7000_UDP_ADDR=$db_ip
MY_DB_PORT_7000_UDP_PROTO=udp
MY_DB_PORT_7000_UDP_PORT_START=7000
MY_DB_PORT_7000_UDP_END=udp://$db_ip:7002
MY_DB_PORT_7000_UDP_PORT_END=7002
MY_DB_PORT_90_TCP=tcp://$db_ip:90
MY_DB_PORT_90_TCP_ADDR=$db_ip
MY_DB_PORT_90_TCP_PORT=90
MY_DB_PORT_90_TCP_PROTO=tcp
MY_DB_PORT_6379_TCP=tcp://$db_ip:6379
MY_DB_PORT_6379_TCP_ADDR=$db_ip
MY_DB_PORT_6379_TCP_PORT=6379
MY_DB_PORT_6379_TCP_PROTO=tcp
MY_DB_PORT_7000_UDP=udp://$db_ip:7000
MY_DB_PORT_7000_UDP_PORT=7000
MY_DB_PORT_7001_UDP=udp://$db_ip:7001
MY_DB_PORT_7001_UDP_ADDR=$db_ip
MY_DB_PORT_7001_UDP_PORT=7001
MY_DB_PORT_7001_UDP_PROTO=udp
MY_DB_PORT_7002_UDP=udp://$db_ip:7002
MY_DB_PORT_7002_UDP_ADDR=$db_ip
MY_DB_PORT_7002_UDP_PORT=7002
MY_DB_PORT_7002_UDP_PROTO=udp
MY_DB_PORT_8080_TCP=tcp://$db_ip:8080
MY_DB_PORT_8080_TCP_ADDR=$db_ip
MY_DB_PORT_8080_TCP_PORT=8080
MY_DB_PORT_8080_TCP_PROTO=tcp
MY_DB_NAME=/web/my-db"
# The CLI may send -e in an order of its own; dockerd keeps the linked container's order.
expect_eq "the linked container's variables as MY_DB_ENV_*, empty ones too, HOME left out" \
  "$(grep '^MY_DB_ENV_' <<<"$OUT" | sort)" "MY_DB_ENV_EMPTY=
MY_DB_ENV_FOO=bar"
capture d run --rm --link db:my-db -e MY_DB_NAME=mine busybox sh -c 'echo $MY_DB_NAME'
expect_eq "the container's own -e overrides a link variable" "$OUT" "mine"

capture d run --rm --link db:my-db --add-host x:192.0.2.1 busybox sh -c 'tail -n 3 /etc/hosts'
expect_match "/etc/hosts: --add-host, then the link (alias, hostname, name), then the container" "$OUT" \
  "^192\.0\.2\.1	x
${db_ip//./\\.}	my-db $db_host db
172\.17\.[0-9.]+	[0-9a-f]{12}\$"
capture d run --rm --link db busybox sh -c 'grep -w db /etc/hosts; echo $DB_NAME'
expect_match "--link db: the name is not repeated when it is the alias" "$OUT" "^${db_ip//./\\.}	db $db_host
/[a-z]+_[a-z]+/db\$"
capture d run --rm --link db:alias busybox ping -c 1 -W 5 alias
expect_eq "the linked container answers at its alias" "$RC" 0
capture d run --rm --network none --link db busybox sh -c 'grep -c db /etc/hosts; env | grep -c ^DB_'
expect_eq "--network none: links are ignored, as dockerd does" "$OUT" "0
0"

# ---- what inspect, ps and references show ----
d run -d --name app --link db:al busybox sleep 300 >/dev/null
expect_eq "inspect HostConfig.Links: dockerd's /child:/parent/alias form" \
  "$(d inspect -f '{{json .HostConfig.Links}}' app)" '["/db:/app/al"]'
expect_eq "inspect HostConfig.Links without links: null" "$(d inspect -f '{{json .HostConfig.Links}}' db)" "null"
expect_eq "ps --no-trunc: the linked container also goes by the link's name" \
  "$(d ps --no-trunc --filter name=^db\$ --format '{{.Names}}')" "db,app/al"
expect_eq "ps (truncated): only its own name" "$(d ps --filter name=^db\$ --format '{{.Names}}')" "db"
expect_eq "inspect by the link's name reaches the linked container" "$(d inspect -f '{{.Name}}' app/al)" "/db"
capture d exec app sh -c 'echo $AL_NAME $AL_PORT'
expect_eq "exec gets the link's variables too" "$OUT" "/app/al tcp://$db_ip:90"
d rename app app2
capture d exec app2 sh -c 'echo $AL_NAME'
expect_eq "after renaming the linking container exec's variables name it anew, as dockerd" "$OUT" "/app2/al"
d rename db db2
expect_eq "a link follows the linked container through a rename" \
  "$(d inspect -f '{{json .HostConfig.Links}}' app2)" '["/db2:/app2/al"]'
d rename db2 db

# ---- the linked container's new address reaches the linking one's /etc/hosts ----
d stop -t 0 db >/dev/null
d run -d --name filler busybox sleep 300 >/dev/null
d start db >/dev/null
new_ip=$(ip_of db)
expect_eq "restarted while its old address was taken, db has a new one" "$([ "$new_ip" != "$db_ip" ] && echo moved)" "moved"
expect_match "the running linking container's /etc/hosts follows it" "$(d exec app2 grep -w al /etc/hosts)" \
  "^${new_ip//./\\.}	al $db_host db\$"

# ---- rm -l ----
capture d rm -l db
expect_eq "rm -l of a plain name: dockerd's refusal" "$RC:$ERR" \
  "1:Error response from daemon: Conflict, cannot remove the default link name of the container"
capture d rm -l app2/nosuch
expect_eq "rm -l of an unknown link" "$RC:$ERR" "1:Error response from daemon: No such container: app2/nosuch"
capture d rm -l app2/al
expect_eq "rm -l app2/al removes the link" "$RC:$OUT" "0:app2/al"
expect_eq "after rm -l: HostConfig.Links is null" "$(d inspect -f '{{json .HostConfig.Links}}' app2)" "null"
expect_eq "after rm -l: both containers remain, db has its own name only" \
  "$(d ps --no-trunc --filter name=^db\$ --format '{{.Names}}'):$(d inspect -f '{{.State.Running}}' app2)" "db:true"

# ---- refusals, in dockerd's words ----
capture d run --rm --link nosuch:x busybox true
expect_eq "--link to a missing container: exit 125" "$RC" 125
expect_contains "--link to a missing container: dockerd's message" "$ERR" \
  "docker: Error response from daemon: could not get container for nosuch: No such container: nosuch"
capture d run --rm --network host --link db busybox true
expect_contains "--network host with --link" "$ERR" \
  "conflicting options: host type networking can't be used with links. This would result in undefined behavior"
d run -d --name onhost --network host busybox sleep 300 >/dev/null
capture d create --link onhost:h busybox true
expect_contains "--link to a container on the host's network" "$ERR" \
  "conflicting options: host type networking can't be used with links"
d run -d --name onnone --network none busybox sleep 300 >/dev/null
capture d run --rm --link onnone:n busybox true
expect_contains "--link to a container off the default bridge" "$ERR" \
  "Cannot link to /onnone, as it does not belong to the default network"
d create --name idle busybox true >/dev/null
capture d run --rm --name web4 --link idle:s busybox true
expect_contains "--link to a container that is not running" "$ERR" \
  "Cannot link to a non running container: /idle AS /web4/s"
d create --name orphan --link db:gone busybox true >/dev/null
d rm -f db >/dev/null
capture d start orphan
expect_contains "start after the linked container was removed: dockerd's message, the old name" "$ERR" \
  "Cannot link to a non running container: /db AS /orphan/gone"
expect_eq "inspect still shows the link to the removed container" \
  "$(d inspect -f '{{json .HostConfig.Links}}' orphan)" '["/db:/orphan/gone"]'

# ---- engine start: restart policies bring the linked container up before the linking one ----
d run -d --name base --restart always busybox sleep 300 >/dev/null
d run -d --name user --restart always --link base:b busybox sleep 300 >/dev/null
pids="$(d inspect -f '{{.State.Pid}}' base) $(d inspect -f '{{.State.Pid}}' user)"
berthd_netns_kill9
# shellcheck disable=SC2086 # two pids
kill -9 $pids
if berthd_netns_restart; then pass "berthd restarts after kill -9"; else
  fail "berthd restarts after kill -9"; assert_finish; exit 1; fi
expect_eq "both exited while berthd was down and were restarted by their policy" \
  "$(d inspect -f '{{.State.Running}}' base user | tr '\n' ' ')" "true true "
expect_match "the linking one has the linked one's address" "$(d exec user grep -w b /etc/hosts)" \
  "^$(ip_of base | sed 's/\./\\./g')	b "

assert_finish
