#!/usr/bin/env bash
# docker run options against berthd: filesystem (--read-only, --tmpfs, -v), process (-e, -w, -u),
# resources (--memory, --cpus, --pids-limit, read back from the container's own cgroup files) and
# capabilities (--cap-drop). Expected outputs are what dockerd 20.10 prints. Needs root.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"
work=$BERTH_BERTHD_DIR/client

# ---- filesystem ----
capture d run --rm --read-only busybox touch /x
expect_eq "--read-only: touch /x fails with exit 1" "$RC" 1
expect_eq "--read-only: the error is EROFS" "$ERR" "touch: /x: Read-only file system"
capture d run --rm --read-only busybox sh -c 'echo ok > /dev/null && cat /etc/hostname >/dev/null && echo fine'
expect_eq "--read-only: /dev and /etc/hostname still usable" "$OUT" "fine"
capture d run --rm busybox sh -c 'touch /x && echo writable'
expect_eq "without --read-only the root is writable" "$OUT" "writable"

capture d run --rm --tmpfs /scratch busybox sh -c 'mount | grep " /scratch "; echo data > /scratch/f && cat /scratch/f'
expect_match "--tmpfs /scratch is a tmpfs mount" "$(sed -n 1p <<<"$OUT")" '^tmpfs on /scratch type tmpfs \(rw,nosuid,nodev,noexec,relatime'
expect_eq "--tmpfs /scratch is writable" "$(sed -n 2p <<<"$OUT")" "data"
capture d run --rm --read-only --tmpfs /scratch busybox sh -c 'touch /scratch/ok && echo ok'
expect_eq "--read-only with --tmpfs: the tmpfs is writable" "$OUT" "ok"

mkdir -p "$work/vol"
echo fromhost >"$work/vol/a"
capture d run --rm -v "$work/vol:/dir" busybox sh -c 'cat /dir/a; echo fromcontainer > /dir/b'
expect_eq "-v hostdir:/dir: host file visible in the container" "$OUT" "fromhost"
expect_eq "-v hostdir:/dir: container file visible on the host" "$(cat "$work/vol/b" 2>&1)" "fromcontainer"
capture d run --rm -v "$work/vol:/dir:ro" busybox sh -c 'echo x > /dir/c'
expect_eq "-v hostdir:/dir:ro: writes fail" "$RC" 1
expect_eq "-v ...:ro: nothing written on the host" "$(test -e "$work/vol/c" && echo exists || echo absent)" "absent"
capture d run --rm -v "$work/vol/a:/etc/greeting" busybox cat /etc/greeting
expect_eq "-v hostfile:/file bind-mounts a single file" "$OUT" "fromhost"
capture d run --rm -v "$work/created-by-engine:/data" busybox sh -c 'echo hi > /data/f'
expect_eq "-v with a missing host dir creates it (as dockerd does)" "$(cat "$work/created-by-engine/f" 2>&1)" "hi"
capture d run --rm -v relative/path:/data busybox true
expect_eq "-v with a relative host path is refused (exit 125)" "$RC" 125
expect_contains "-v relative path: docker's message" "$ERR" "includes invalid characters for a local volume name"

# ---- process ----
capture d run --rm -e A=B busybox sh -c 'echo $A'
expect_eq "-e A=B" "$OUT" "B"
capture d run --rm -e A=B -e C busybox sh -c 'echo "$A|${C-unset}"; env | grep -c "^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$"'
expect_eq "-e C without value and not in the client env is left unset; PATH is docker's default" "$OUT" $'B|unset\n1'
capture d run --rm -w /tmp busybox pwd
expect_eq "-w /tmp" "$OUT" "/tmp"
capture d run --rm -w /does/not/exist busybox pwd
expect_eq "-w with a missing dir creates it" "$OUT" "/does/not/exist"
capture d run --rm -u 1000 -w /made/by/engine busybox stat -c '%U %a' /made /made/by/engine
expect_eq "-w: the engine makes the missing dirs, root's and 0755, whatever the user" "$OUT" $'root 755\nroot 755'
capture d run --rm -w /etc/passwd busybox true
expect_eq "-w naming a file: exit 125" "$RC" 125
expect_contains "-w naming a file: dockerd's words" "$ERR" \
  "docker: Error response from daemon: Cannot mkdir: /etc/passwd is not a directory"
capture d run --rm -w /etc/passwd/below busybox true
expect_contains "-w below a file: the file named" "$ERR" "Cannot mkdir: /etc/passwd is not a directory"
capture d run --rm -u 1000:1000 busybox id -u
expect_eq "-u 1000:1000: id -u" "$OUT" "1000"
capture d run --rm -u 1000:1000 busybox id
expect_eq "-u 1000:1000: id" "$OUT" "uid=1000 gid=1000 groups=1000"
capture d run --rm busybox id
expect_eq "default user is root with busybox's groups" "$OUT" "uid=0(root) gid=0(root) groups=0(root),10(wheel)"
capture d run --rm -u nobody busybox id
expect_eq "-u nobody resolves through the image's /etc/passwd" "$OUT" "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"
capture d run --rm --hostname myhost busybox hostname
expect_eq "--hostname" "$OUT" "myhost"
capture d run --rm --entrypoint /bin/echo busybox hello
expect_eq "--entrypoint" "$OUT" "hello"

# ---- resources (cgroup v1 on a hybrid host, v2 on a unified one) ----
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  capture d run --rm --memory 64m busybox cat /sys/fs/cgroup/memory.max
  expect_eq "--memory 64m: memory.max" "$OUT" "67108864"
  capture d run --rm --cpus 0.5 busybox cat /sys/fs/cgroup/cpu.max
  expect_eq "--cpus 0.5: cpu.max" "$OUT" "50000 100000"
  capture d run --rm --pids-limit 20 busybox cat /sys/fs/cgroup/pids.max
  expect_eq "--pids-limit 20: pids.max" "$OUT" "20"
else
  capture d run --rm --memory 64m busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  expect_eq "--memory 64m: memory.limit_in_bytes" "$OUT" "67108864"
  capture d run --rm --cpus 0.5 busybox cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us
  expect_eq "--cpus 0.5: cfs quota 50000 per 100000" "$OUT" $'50000\n100000'
  capture d run --rm --pids-limit 20 busybox cat /sys/fs/cgroup/pids/pids.max
  expect_eq "--pids-limit 20: pids.max" "$OUT" "20"
  capture d run --rm busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  expect_match "no --memory: no limit" "$OUT" '^9223372036854[0-9]+$'
  capture d run --rm busybox cat /proc/self/cgroup
  expect_match "the container's cgroup is /berth/<id>" "$(grep ':memory:' <<<"$OUT")" '^[0-9]+:memory:/berth/[0-9a-f]{64}$'
fi
capture d run --rm --memory 64m busybox true
expect_eq "--memory: exit 0" "$RC" 0
capture d run -d --name limited --memory 64m --cpus 0.5 --pids-limit 20 busybox sleep 300
capture d inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}' limited
expect_eq "inspect shows the limits" "$OUT" "67108864 500000000 20"
capture d rm -f limited
capture d run --rm --pids-limit 5 busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait'
expect_contains "--pids-limit 5 stops the 6th process" "$ERR" "can't fork"
capture d run --rm --memory 8m busybox sh -c 'dd if=/dev/zero bs=1M count=64 | tail -c 1 >/dev/null 2>&1; X=$(head -c 30000000 /dev/zero | tr "\0" a); echo survived'
expect_eq "--memory 8m: a 30 MB allocation is OOM-killed (exit 137)" "$RC" 137

# ---- capabilities ----
capture d run --rm --network none busybox ping -c 1 -W 2 127.0.0.1
expect_eq "ping works with the default capabilities" "$RC" 0
capture d run --rm --network none --cap-drop NET_RAW busybox ping -c 1 -W 2 127.0.0.1
expect_eq "--cap-drop NET_RAW: ping fails" "$RC" 1
expect_contains "--cap-drop NET_RAW: permission denied" "$ERR" "ping: permission denied (are you root?)"
capture d run --rm --network none --cap-drop ALL busybox ping -c 1 -W 2 127.0.0.1
expect_eq "--cap-drop ALL: ping fails" "$RC" 1
capture d run --rm --cap-drop ALL busybox grep CapEff /proc/self/status
expect_match "--cap-drop ALL: no effective capabilities" "$OUT" '^CapEff:[[:space:]]+0000000000000000$'
capture d run --rm busybox grep CapEff /proc/self/status
expect_match "default capabilities are docker's set (00000000a80425fb)" "$OUT" '^CapEff:[[:space:]]+00000000a80425fb$'
capture d run --rm --cap-drop ALL busybox chown 1 /tmp
expect_eq "--cap-drop ALL: chown fails" "$RC" 1
capture d run --rm --cap-add SYS_ADMIN busybox grep CapEff /proc/self/status
expect_match "--cap-add SYS_ADMIN adds bit 21" "$OUT" '^CapEff:[[:space:]]+00000000a82425fb$'
capture d run --rm --device /dev/nonexist busybox true
expect_eq "--device of a missing path: exit 127, as the CLI gives for a missing file" "$RC" 127
expect_contains "--device of a missing path: dockerd's words" "$ERR" \
  'error gathering device information while adding custom device "/dev/nonexist": no such file or directory'
# A directory gives the device nodes below it, at the same places, as dockerd's DevicesFromPath.
devdir=$BERTH_BERTHD_DIR/devdir
mkdir -p "$devdir/sub" && mknod "$devdir/sub/zero" c 1 5 && echo plain >"$devdir/note"
capture d run --rm --device "$devdir:/dev/mine" busybox sh -c 'ls -R /dev/mine; head -c 3 /dev/mine/sub/zero | wc -c'
expect_eq "--device DIR: its device nodes, usable, and nothing else" "$OUT" "/dev/mine:
sub

/dev/mine/sub:
zero
3"
mkdir -p "$devdir/empty"
capture d run --rm --device "$devdir/empty" busybox true
expect_contains "--device of a directory without devices: dockerd's words" "$ERR" \
  "error gathering device information while adding custom device \"$devdir/empty\": not a device node"
capture d run --rm --cap-add BOGUS busybox true
expect_contains "--cap-add BOGUS: dockerd's words" "$ERR" 'invalid CapAdd: unknown capability: "CAP_BOGUS"'
capture d run --rm --privileged busybox grep CapEff /proc/self/status
engine_caps=$(awk '/^CapBnd:/ {print $2}' "/proc/$BERTH_BERTHD_PID/status")
expect_match "--privileged: every capability the engine holds" "$OUT" "^CapEff:[[:space:]]+$engine_caps\$"

# ---- logging drivers: json-file (default) and none ----
capture d run --rm --log-driver none busybox echo attached
expect_eq "--log-driver none: attached output still arrives" "$OUT" "attached"
d run -d --name nolog --log-driver none busybox sh -c 'echo x; sleep 60' >/dev/null
capture d logs nolog
expect_eq "--log-driver none: docker logs fails" "$RC" 1
expect_eq "--log-driver none: dockerd's words" "$ERR" \
  "Error response from daemon: configured logging driver does not support reading"
capture d inspect -f '{{.HostConfig.LogConfig.Type}}|{{.LogPath}}' nolog
expect_eq "--log-driver none: inspect shows the driver and no log path" "$OUT" "none|"
d rm -f nolog >/dev/null
capture d run --rm --log-driver syslog busybox true
expect_eq "--log-driver syslog: refused (exit 125)" "$RC" 125
expect_contains "--log-driver syslog: named" "$ERR" "logging driver syslog is not supported"

# Options every log driver takes: mode and max-buffer-size, checked at create as dockerd does.
capture d run --rm --log-opt mode=non-blocking --log-opt max-buffer-size=4m busybox echo nb
expect_eq "--log-opt mode=non-blocking max-buffer-size=4m" "$OUT:$RC" "nb:0"
capture d create --log-opt mode=fast busybox true
expect_eq "--log-opt mode=fast: refused" "$ERR" \
  "Error response from daemon: logger: logging mode not supported: fast"
capture d create --log-opt max-buffer-size=4m busybox true
expect_eq "--log-opt max-buffer-size without non-blocking: refused" "$ERR" \
  "Error response from daemon: logger: max-buffer-size option is only supported with 'mode=non-blocking'"

# ---- name resolution files: --add-host, --dns, --dns-search, --dns-option ----
capture d run --rm --add-host db:10.1.2.3 --add-host gw:host-gateway busybox cat /etc/hosts
expect_contains "--add-host: the entry is in /etc/hosts" "$OUT" $'10.1.2.3\tdb'
expect_contains "--add-host NAME:host-gateway: the bridge gateway" "$OUT" $'172.17.0.1\tgw'
capture d run --rm --dns 10.9.9.9 --dns-search example.test --dns-option ndots:2 busybox cat /etc/resolv.conf
expect_contains "--dns: the name server" "$OUT" "nameserver 10.9.9.9"
expect_contains "--dns-search: the search domain" "$OUT" "search example.test"
expect_contains "--dns-option: the option" "$OUT" "options ndots:2"
expect_eq "--dns replaces the other name servers" "$(grep -c '^nameserver' <<<"$OUT")" 1

# ---- --mount ----
mkdir -p "$work/mnt" && echo mounted >"$work/mnt/m.txt"
capture d run --rm --mount "type=bind,source=$work/mnt,target=/m" busybox cat /m/m.txt
expect_eq "--mount type=bind: the host file" "$OUT" "mounted"
d run -d --name mnt-inspect --mount "type=bind,source=$work/mnt,target=/m,readonly" \
  --mount type=tmpfs,target=/t busybox sleep 300 >/dev/null
capture d inspect --format '{{range .Mounts}}{{.Type}} {{.Destination}} {{.RW}};{{end}}' mnt-inspect
expect_eq "inspect lists --mount entries" "$OUT" "bind /m false;tmpfs /t true;"
d rm -f mnt-inspect >/dev/null
capture d run --rm --mount "type=bind,source=$work/mnt,target=/m,readonly" busybox touch /m/x
expect_contains "--mount bind readonly: writes fail" "$ERR" "Read-only file system"
capture d run --rm --mount "type=bind,source=$work/no-such-dir,target=/m" busybox true
expect_contains "--mount bind of a missing source is refused (not created, unlike -v)" "$ERR" \
  "bind source path does not exist"
capture d run --rm --mount type=tmpfs,target=/scratch,tmpfs-size=1048576 busybox df -k /scratch
expect_match "--mount type=tmpfs: a 1 MiB tmpfs" "$(tail -1 <<<"$OUT")" '^tmpfs +1024 '

# Modes and checks as dockerd's: consistency modes (Docker for Mac's) are accepted and mean nothing
# on Linux; a bad mode, a doubled destination, nocopy on a bind and a tmpfs source fail the create.
capture d run --rm -v "$work/mnt:/m:ro,cached" busybox cat /m/m.txt
expect_eq "-v ...:ro,cached mounts as dockerd does" "$OUT:$RC" "mounted:0"
refused_at_create() {  # refused_at_create NAME EXPECTED-MESSAGE CREATE-ARGS...
  local name=$1 message=$2
  shift 2
  capture d create --name refused "$@" busybox true
  expect_eq "$name: create fails with dockerd's words" "$ERR:$RC" "Error response from daemon: $message:1"
  d rm -f refused >/dev/null 2>&1 || true
}
refused_at_create "-v :bogus" "invalid mode: bogus" -v "$work/mnt:/m:bogus"
refused_at_create "-v :ro,rw" "invalid mode: ro,rw" -v "$work/mnt:/m:ro,rw"
refused_at_create "-v :cached,delegated" "invalid mode: cached,delegated" -v "$work/mnt:/m:cached,delegated"
refused_at_create "-v :nocopy on a bind" \
  "invalid volume specification: '$work/mnt:/m:nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified" \
  -v "$work/mnt:/m:nocopy"
refused_at_create "two binds on /m" "Duplicate mount point: /m" -v "$work/mnt:/m" -v /tmp:/m
refused_at_create "a bind and a tmpfs on /m" "Duplicate mount point: /m" -v "$work/mnt:/m" --tmpfs /m
refused_at_create "--mount type=tmpfs,src=" \
  'invalid mount config for type "tmpfs": field Source must not be specified' \
  --mount type=tmpfs,src=foo,dst=/t

# Below a bind's source: a mount of its own, seen through rbind unless bind-nonrecursive, and
# read-only too with bind-recursive=readonly.
mkdir -p "$work/tree/sub"
mount -t tmpfs tmpfs "$work/tree/sub"
echo below >"$work/tree/sub/f"
capture d run --rm --mount "type=bind,src=$work/tree,dst=/m" busybox cat /m/sub/f
expect_eq "--mount bind: a mount below the source is seen" "$OUT" "below"
capture d run --rm --mount "type=bind,src=$work/tree,dst=/m,bind-nonrecursive" busybox ls /m/sub
expect_eq "--mount bind-nonrecursive: it is not" "$OUT:$RC" ":0"
capture d run --rm --mount "type=bind,src=$work/tree,dst=/m,readonly" busybox touch /m/sub/w
expect_eq "--mount readonly: only the bind itself is read-only, as with dockerd 20.10" "$RC" 0
capture d run --rm --mount "type=bind,src=$work/tree,dst=/m,readonly,bind-recursive=readonly,bind-propagation=rprivate" \
  busybox touch /m/sub/w2
expect_contains "--mount bind-recursive=readonly: the mount below is read-only too" "$ERR" "Read-only file system"
umount "$work/tree/sub"

# Shared and slave propagation need a source on a host mount that propagates, as dockerd checks.
mkdir -p "$work/prop"
mount -t tmpfs tmpfs "$work/prop"
mount --make-private "$work/prop"
capture d run --rm -v "$work/prop:/m:rshared" busybox true
expect_eq "-v :rshared on a private mount: refused in dockerd's words" "$ERR" \
  "docker: Error response from daemon: path $work/prop is mounted on $work/prop but it is not a shared mount

Run 'docker run --help' for more information"
capture d run --rm --mount "type=bind,src=$work/prop,dst=/m,bind-propagation=rslave" busybox true
expect_contains "--mount bind-propagation=rslave on a private mount: refused" "$ERR" \
  "path $work/prop is mounted on $work/prop but it is not a shared or slave mount"
mount --make-shared "$work/prop"
capture d run --rm -v "$work/prop:/m:rshared" busybox true
expect_eq "-v :rshared on a shared mount runs" "$RC" 0
umount "$work/prop"

# ---- health checks ----
d run -d --name hc-good --health-cmd 'true' --health-interval 1s busybox sleep 300 >/dev/null
d run -d --name hc-bad --health-cmd 'echo failing; exit 1' --health-interval 1s --health-retries 2 \
  busybox sleep 300 >/dev/null
capture d inspect --format '{{.State.Health.Status}}' hc-good
expect_eq "health: starting before the first probe" "$OUT" "starting"
hc_status() { [ "$(d inspect --format '{{.State.Health.Status}}' "$1")" = "$2" ]; }
wait_until 15 hc_status hc-good healthy || true
wait_until 15 hc_status hc-bad unhealthy || true
capture d ps --format '{{.Names}} {{.Status}}' --filter name=hc-
expect_match "ps shows (healthy)" "$OUT" 'hc-good Up .* \(healthy\)'
expect_match "ps shows (unhealthy) after the retries" "$OUT" 'hc-bad Up .* \(unhealthy\)'
capture d inspect --format '{{(index .State.Health.Log 0).Output}}' hc-bad
expect_eq "health log holds the probe's output" "$OUT" "failing"
capture d ps --filter health=unhealthy --format '{{.Names}}'
expect_eq "ps --filter health=unhealthy" "$OUT" "hc-bad"
capture d events --since 60s --until 0s --filter event=health_status --format '{{.Action}} {{.Actor.Attributes.name}}'
expect_contains "health_status events" "$OUT" "health_status: healthy hc-good"
capture d run --rm busybox true
capture d inspect --format '{{json .State.Health}}' hc-good
expect_match "inspect: State.Health JSON" "$OUT" '"Status":"healthy","FailingStreak":0'
hc_id=$(d inspect -f '{{.Id}}' hc-good)
capture d events --since 60s --until 0s --filter container=hc-good --filter event=exec_die \
  --format '{{.Action}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.execID}}'
expect_match "each probe is an exec in the events, as dockerd's" "$(head -1 <<<"$OUT")" '^exec_die 0 [0-9a-f]{64}$'
capture d events --since 60s --until 0s --filter container=hc-good --format '{{.Action}}'
expect_contains "probe events: exec_create with the command" "$OUT" "exec_create: /bin/sh -c true"
expect_contains "probe events: exec_start with the command" "$OUT" "exec_start: /bin/sh -c true"
d stop -t 0 hc-good >/dev/null
capture d inspect -f '{{.State.Status}} {{.State.Health.Status}} {{(index .State.Health.Log 0).ExitCode}}' hc-good
expect_eq "a stopped container's health turns unhealthy, the log stays (dockerd)" "$OUT" "exited unhealthy 0"
d rm -f hc-good hc-bad >/dev/null

# ---- options dockerd honours that berth once ignored (dockerd 20.10's outputs) ----
# --pid / --ipc container:X join the donor's namespaces.
d run -d --name donor busybox sleep 300 >/dev/null
d run -d --name shdonor --ipc shareable busybox sh -c 'echo shared > /dev/shm/token; sleep 300' >/dev/null
capture d run --rm --pid container:donor busybox ps -o comm
expect_eq "--pid container:donor: the donor's processes are visible" "$OUT" $'COMMAND\nsleep\nps'
capture d run --rm --ipc container:shdonor busybox cat /dev/shm/token
expect_eq "--ipc container:X (shareable donor): its /dev/shm is shared" "$OUT:$RC" "shared:0"
donor_id=$(d inspect -f '{{.Id}}' donor)
capture d run --rm --ipc container:donor busybox true
expect_eq "--ipc container:X, non-shareable donor: exit 125" "$RC" 125
expect_contains "--ipc non-shareable donor: dockerd's message" "$ERR" \
  "can't join IPC of container $donor_id: non-shareable IPC (hint: use IpcMode:shareable for the donor container)"
d create --name idle busybox true >/dev/null
idle_id=$(d inspect -f '{{.Id}}' idle)
capture d run --rm --pid container:idle busybox true
expect_contains "--pid container:<not running>: dockerd's message" "$ERR" "container $idle_id is not running"
capture d run --rm --ipc container:idle busybox true
expect_contains "--ipc container:<not running>: dockerd's message" "$ERR" \
  "can't join IPC of container $idle_id: container $idle_id is not running"
capture d run --rm --pid container:nosuch busybox true
expect_eq "--pid container:nosuch: refused without a pull" "$RC:$(grep -c 'Unable to find image' <<<"$ERR" || true)" "125:0"
expect_contains "--pid container:nosuch: No such container" "$ERR" "No such container: nosuch"
capture d run --rm --ipc bogus busybox true
expect_contains "--ipc bogus: dockerd's message" "$ERR" "Invalid IPC mode: bogus"

# --volumes-from: the source's binds (read-only with :ro); unknown sources refused.
mkdir -p "$work/vf" && echo fromsource >"$work/vf/f"
d create --name vfsrc -v "$work/vf:/shared" busybox true >/dev/null
capture d run --rm --volumes-from vfsrc busybox cat /shared/f
expect_eq "--volumes-from: the source's bind is mounted" "$OUT" "fromsource"
capture d run --rm --volumes-from vfsrc:ro busybox sh -c 'echo x > /shared/g'
expect_eq "--volumes-from X:ro: read-only" "$RC" 1
d create --name vfuser --volumes-from vfsrc:ro busybox true >/dev/null
capture d inspect -f '{{range .Mounts}}{{.Destination}} {{.RW}}{{end}} {{json .HostConfig.Binds}}' vfuser
expect_eq "--volumes-from: inspect lists the source's mount (read-only), Binds stay the container's" "$OUT" "/shared false null"
d rm vfuser >/dev/null
capture d create --volumes-from nosuch busybox true
expect_eq "--volumes-from nosuch: exit 1" "$RC" 1
expect_contains "--volumes-from nosuch: dockerd's message" "$ERR" "Error response from daemon: No such container: nosuch"
capture d run --rm -v /data busybox true
expect_contains "-v /data (anonymous volume): a clear error" "$ERR" "anonymous volumes are not supported yet"
capture d run --rm --ip 172.17.0.99 busybox true
expect_contains "--ip on the default bridge: dockerd's message" "$ERR" \
  "user specified IP address is supported on user defined networks only"
capture d run --rm --link-local-ip 169.254.1.1 busybox true
expect_eq "--link-local-ip: refused by name, not ignored" "$ERR:$RC" \
  "docker: Error response from daemon: link-local addresses (--link-local-ip) are not supported yet

Run 'docker run --help' for more information:125"
capture d run --rm --network name=bridge,driver-opt=com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.forwarding=1 busybox true
expect_contains "--network driver-opt: refused by name, not ignored" "$ERR" \
  "network endpoint driver options are not supported yet: com.docker.network.endpoint.sysctls"

# --mac-address: the container's eth0 has it, inspect shows it; bad ones and host networking refused.
capture d run --rm --mac-address 02:42:AC:11:00:99 busybox cat /sys/class/net/eth0/address
expect_eq "--mac-address: eth0 has the address asked for" "$OUT:$RC" "02:42:ac:11:00:99:0"
d run -d --name macbox --mac-address 02:42:ac:11:00:98 busybox sleep 300 >/dev/null
capture d inspect -f '{{.NetworkSettings.Networks.bridge.MacAddress}} {{.NetworkSettings.MacAddress}}' macbox
expect_eq "--mac-address: inspect shows it for the bridge endpoint" "$OUT" "02:42:ac:11:00:98 02:42:ac:11:00:98"
capture d run --rm busybox ping -c 1 -W 2 "$(d inspect -f '{{.NetworkSettings.IPAddress}}' macbox)"
expect_eq "--mac-address: another container reaches it" "$RC" 0
d rm -f macbox >/dev/null
capture d run --rm --network host --mac-address 02:42:ac:11:00:97 busybox true
expect_contains "--mac-address with host networking: dockerd's conflict" "$ERR" \
  "conflicting options: mac-address and the network mode"
capture berthd_netns_api POST /containers/create -H 'Content-Type: application/json' \
  -d '{"Image": "busybox", "MacAddress": "02:42:zz:11:00:97"}'
expect_contains "an invalid MAC address through the API: 400 naming it" "$OUT" \
  'invalid MAC address 02:42:zz:11:00:97"}'
expect_eq "an invalid MAC address through the API: status 400" "$(tail -1 <<<"$OUT")" "400"

# A network that does not exist: found missing at start (404), never a pull.
capture d run --network nosuchnet busybox true
expect_eq "--network nosuchnet: exit 125" "$RC" 125
expect_contains "--network nosuchnet: dockerd's message" "$ERR" "docker: Error response from daemon: network nosuchnet not found"
expect_not_contains "--network nosuchnet: no pull attempted" "$ERR" "Unable to find image"

# Create-time checks, with dockerd's texts; a refused create leaves nothing behind.
before=$(d ps -aq | wc -l)
capture d create --memory-swap 20m busybox true
expect_contains "--memory-swap without -m" "$ERR" "You should always set the Memory limit when using Memoryswap limit, see usage"
capture d create --memory 10m --memory-swap 5m busybox true
expect_contains "--memory-swap below --memory" "$ERR" "Minimum memoryswap limit should be larger than memory limit, see usage"
capture d create --cpuset-cpus 99 busybox true
expect_match "--cpuset-cpus 99" "$ERR" "Requested CPUs are not available - requested 99, available: [0-9]"
capture d create --cpuset-cpus abc busybox true
expect_contains "--cpuset-cpus abc" "$ERR" "Invalid value abc for cpuset cpus: invalid format: abc"
capture d create --log-opt bogus=1 busybox true
expect_contains "--log-opt bogus=1" "$ERR" "unknown log opt 'bogus' for json-file log driver"
capture d create --restart always:3 busybox true
expect_contains "--restart always:3" "$ERR" "maximum retry count cannot be used with restart policy 'always'"
capture d create --restart on-failure:-1 busybox true
expect_contains "--restart on-failure:-1" "$ERR" "maximum retry count cannot be negative"
expect_eq "refused creates leave no container" "$(d ps -aq | wc -l)" "$before"
capture d run --rm --oom-kill-disable busybox true
expect_contains "--oom-kill-disable without -m: dockerd's warning" "$ERR" \
  "WARNING: OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources."

# /.dockerenv: present, not a change of the container's, exported.
capture d run --name envfile busybox ls /.dockerenv
expect_eq "/.dockerenv exists in the container" "$OUT:$RC" "/.dockerenv:0"
capture d diff envfile
expect_not_contains "docker diff does not list /.dockerenv" "$OUT" ".dockerenv"
expect_contains "docker export has /.dockerenv" "$(d export envfile | tar t)" ".dockerenv"

# exec sees the container's hostname; env keeps the request's order (image's vars after). The
# container is created through the API: docker run itself sometimes sends its -e list reordered.
berthd_netns_api POST /containers/create?name=envc -H 'Content-Type: application/json' \
  -d '{"Image": "busybox", "Cmd": ["sleep", "300"], "Env": ["B=1", "A=2"]}' >/dev/null
d start envc >/dev/null
capture d exec envc sh -c 'echo "$HOSTNAME"'
expect_eq "exec: HOSTNAME is the container's" "$OUT" "$(d inspect -f '{{.Config.Hostname}}' envc)"
capture d inspect -f '{{json .Config.Env}}' envc
expect_eq "Config.Env: request order, then the image's" "$OUT" '["B=1","A=2","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'
capture d inspect -f '{{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}} {{.HostConfig.MemorySwappiness}} {{json .Config.Volumes}} {{len .HostConfig.MaskedPaths}} {{len .HostConfig.ReadonlyPaths}}' envc
expect_eq "inspect: dockerd's HostConfig defaults" "$OUT" "67108864 private <nil> null 12 5"
expect_match "inspect: CgroupnsMode and Runtime set" "$(d inspect -f '{{.HostConfig.CgroupnsMode}} {{.HostConfig.Runtime}}' envc)" '^(host|private) (runc|crun)$'
capture d inspect -s -f '{{.SizeRw}} {{.SizeRootFs}}' envc
expect_match "inspect -s: SizeRw and SizeRootFs (image included)" "$OUT" '^[0-9]+ [0-9]{6,}$'
capture d ps --size --filter name=envc --format '{{.Size}}'
expect_match "ps --size: no changes of its own, virtual size includes the image" "$OUT" '^0B \(virtual [0-9.]+MB\)$'
d rm -f donor shdonor idle vfsrc envfile envc >/dev/null
d container prune -f >/dev/null

# ---- cgroup placement, block I/O limits, real-time CPU, annotations, --platform ----
capture d run --rm --cgroup-parent /berth-test-parent busybox cat /proc/self/cgroup
expect_match "--cgroup-parent: the container's cgroup is below it" "$OUT" '(:pids:|0::)/berth-test-parent/[0-9a-f]{64}'
rmdir /sys/fs/cgroup/*/berth-test-parent /sys/fs/cgroup/berth-test-parent 2>/dev/null || true
d run -d --name cgp --cgroup-parent /berth-test-parent busybox sleep 300 >/dev/null
expect_match "--cgroup-parent: stats read the container's cgroup there" \
  "$(d stats --no-stream --format '{{.PIDs}}' cgp)" '^[1-9]'
d rm -f cgp >/dev/null
rmdir /sys/fs/cgroup/*/berth-test-parent /sys/fs/cgroup/berth-test-parent 2>/dev/null || true
block_device=/dev/$(ls /sys/block | head -1)
block_numbers=$(cat "/sys/block/${block_device#/dev/}/dev")
if [ -d /sys/fs/cgroup/blkio ]; then
  capture d run --rm --device-read-bps "$block_device:1mb" --device-write-iops "$block_device:100" \
    busybox cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device
  expect_eq "--device-read-bps and --device-write-iops reach the cgroup" "$OUT" \
    "$block_numbers 1048576
$block_numbers 100"
  capture d run --rm --cpu-rt-period 500000 busybox cat /sys/fs/cgroup/cpu/cpu.rt_period_us
  expect_eq "--cpu-rt-period reaches the cgroup" "$OUT" 500000
fi
capture d run --rm --device-read-bps /dev/berth-no-such-device:1mb busybox true
expect_contains "--device-read-bps of a missing device: dockerd's words" "$ERR" \
  "Error response from daemon: stat /dev/berth-no-such-device: no such file or directory"
capture d create --cpu-rt-period 1000 --cpu-rt-runtime 2000 busybox true
expect_eq "--cpu-rt-runtime above the period: refused" "$ERR" \
  "Error response from daemon: cpu real-time runtime cannot be higher than cpu real-time period"
if [ ! -e /sys/fs/cgroup/blkio/blkio.weight_device ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
  capture d run --rm --blkio-weight-device "$block_device:300" busybox true
  expect_eq "--blkio-weight-device without kernel support: dropped with dockerd's warning" "$ERR:$RC" \
    "WARNING: Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.:0"
fi
annotated=$(d create --annotation org.example.team=infra busybox true)
expect_eq "--annotation reaches the runtime's spec" \
  "$(d start "$annotated" >/dev/null && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["annotations"])' "$BERTH_BERTHD_EXEC/containers/$annotated/config.json")" \
  "{'org.example.team': 'infra'}"
d rm -f "$annotated" >/dev/null
capture d run --rm --platform linux/amd64 busybox echo amd64
expect_eq "--platform of the image's own platform runs" "$OUT" amd64
capture berthd_netns_api POST "/containers/create?platform=linux/arm64" \
  -H 'Content-Type: application/json' -d '{"Image":"busybox"}'
expect_eq "--platform another platform: 404 in dockerd's words, so the CLI tries a pull" \
  "$(head -1 <<<"$OUT") $(tail -1 <<<"$OUT")" \
  '{"message":"image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64"} 404'

# ---- volumes: none yet, said clearly ----
capture d volume ls -q
expect_eq "volume ls: none" "$OUT$RC" "0"
capture d volume create data1
expect_contains "volume create: a clear not-supported error" "$ERR" "named volumes are not supported yet"
expect_eq "volume create fails" "$RC" 1
capture d system prune -f
expect_eq "system prune succeeds" "$RC" 0

capture d ps -aq
expect_eq "no containers left" "$OUT" ""
# ---- --read-only covers the engine's files; --domainname; DNS options on the host's network ----
capture d run --rm --read-only busybox sh -c 'echo x >> /etc/hosts; echo x >> /etc/resolv.conf; echo x >> /etc/hostname'
expect_eq "--read-only: /etc/hosts, /etc/resolv.conf and /etc/hostname are read-only too, as dockerd" "$ERR" \
  "sh: can't create /etc/hosts: Read-only file system
sh: can't create /etc/resolv.conf: Read-only file system
sh: can't create /etc/hostname: Read-only file system"
capture d run --rm --hostname myhost --domainname example.com busybox cat /proc/sys/kernel/domainname
expect_eq "--domainname sets the container's NIS domain name" "$OUT" "example.com"
capture d run --rm --network host --dns 192.0.2.53 --dns-search example.com --dns-option ndots:3 busybox cat /etc/resolv.conf
expect_eq "--network host with --dns options: dockerd's own resolv.conf" "$OUT" "search example.com
nameserver 192.0.2.53
options ndots:3"
capture d run --rm --network host busybox cat /etc/resolv.conf
expect_eq "--network host without them: the host's resolv.conf" "$OUT" "$(cat /etc/resolv.conf)"
capture d create --entrypoint "" busybox
expect_eq "no command at all: dockerd's words" "$RC:$ERR" "1:Error response from daemon: No command specified"

# ---- what this engine cannot give is refused at create, in dockerd's words, never ignored ----
refused() {  # refused DESCRIPTION MESSAGE ARGS...
  local desc=$1 message=$2
  shift 2
  capture d create "$@" busybox true
  expect_eq "$desc" "$RC:$ERR" "1:Error response from daemon: $message"
}
refused "--uts host with --hostname" "conflicting options: hostname and the UTS mode" --uts host --hostname foo
refused "--runtime of an unknown runtime" "Unknown runtime specified bogus" --runtime bogus
refused "--gpus all (no device driver here)" 'could not select device driver "" with capabilities: [[gpu]]' --gpus all
refused "--isolation hyperv" "Invalid isolation: \"hyperv\" - linux only supports 'default'" --isolation hyperv
refused "--storage-opt" "--storage-opt is supported only for overlay over xfs with 'pquota' mount option" --storage-opt size=1G
refused "--oom-score-adj out of range" "Invalid value 5000, range for oom score adj is [-1000, 1000]" --oom-score-adj 5000
refused "--health-timeout under 1 ms" "Timeout in Healthcheck cannot be less than 1ms" --health-cmd true --health-timeout 100us
refused "--cpu-shares below 0" "invalid CPU shares (-1): value must be a positive integer" --cpu-shares -1
d create --name upd busybox true >/dev/null
capture d update --cpus 999 upd
expect_match "update --cpus beyond the host's CPUs: dockerd's range error" "$RC:$ERR" \
  "^1:Error response from daemon: Range of CPUs is from 0\.01 to [0-9]+\.00, as there are only [0-9]+ CPUs available\$"
d rm upd >/dev/null
capture d run --rm --network host -p 8099:80 busybox true
expect_eq "-p with --network host: dockerd's warning, and the run goes on" "$RC:$ERR" \
  "0:WARNING: Published ports are discarded when using host network mode"
refused "--tmpfs with an option tmpfs does not know" 'invalid tmpfs option ["bogusopt"]' --tmpfs /t:bogusopt
refused "--tmpfs with an unknown key" 'invalid tmpfs option ["foo" "bar"]' --tmpfs /t:foo=bar
capture d run --rm --tmpfs /t:size=1m,mode=1777,noexec,uid=0 busybox sh -c 'grep " /t " /proc/mounts | cut -d" " -f4'
expect_eq "--tmpfs with known flags and data" "$OUT" "rw,nosuid,nodev,noexec,relatime,size=1024k"
capture berthd_netns_api POST /containers/create -H 'Content-Type: application/json' -d '{}'
expect_eq "create with an empty config: dockerd's words" "$(sed '/^$/d' <<<"$OUT")" '{"message":"Config cannot be empty in order to create a container"}
400'
capture d run --rm --runtime runc --isolation default busybox echo accepted
expect_eq "--runtime runc and --isolation default are fine" "$OUT" "accepted"

assert_finish
