#!/usr/bin/env bash
# What is inside a running container, through the docker CLI against berthd: exec (plain, -i, -d,
# -t), top, stats --no-stream, cp both ways, export, diff, commit and running the committed image.
# Expected outputs are what dockerd 20.10 prints. Needs root.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"

berthd_test_setup
d() { berthd_netns_docker "$@"; }
work=$BERTH_BERTHD_DIR/client

capture d run -d --name box busybox sh -c 'echo started > /tmp/marker; sleep 600'
expect_eq "run -d for the exec target" "$RC" 0

# ---- exec ----
capture d exec box cat /tmp/marker
expect_eq "exec: output of a command in the container" "$OUT" "started"
capture d exec box sh -c 'exit 5'
expect_eq "exec: the command's exit code is docker exec's" "$RC" 5
capture d exec -i box cat <<<"piped input"
expect_eq "exec -i: stdin reaches the process" "$OUT" "piped input"
capture d exec -d box sh -c 'echo detached > /tmp/d'
expect_eq "exec -d returns at once" "$RC" 0
sleep 1  # the detached command runs on its own
capture d exec box cat /tmp/d
expect_eq "exec -d: the detached command ran" "$OUT" "detached"
capture berthd_netns_docker_tty exec -t box sh -c 'tty; echo tty-ok'
expect_contains "exec -t: the process has a terminal" "$OUT" "/dev/pts/"
expect_contains "exec -t: output arrives" "$OUT" "tty-ok"
expect_fail_with "exec in a missing container" "No such container: nobox" d exec nobox true

# ---- top, stats ----
capture d top box
expect_contains "top: the container's processes" "$OUT" "sleep 600"
expect_match "top: ps -ef titles" "$(sed -n 1p <<<"$OUT")" '^UID +PID +PPID'
capture d stats --no-stream --format '{{.Name}} {{.PIDs}}' box
expect_eq "stats --no-stream: one row with the container's pids" "$OUT" "box 1"

# ---- cp ----
echo "from the host" >"$work/in.txt"
expect_ok "cp host file into the container" d cp "$work/in.txt" box:/tmp/in.txt
capture d exec box cat /tmp/in.txt
expect_eq "cp in: the file arrived" "$OUT" "from the host"
expect_ok "cp container file out to the host" d cp box:/tmp/marker "$work/marker.out"
expect_eq "cp out: contents" "$(cat "$work/marker.out")" "started"
expect_ok "cp a container directory out" d cp box:/etc "$work/etc.out"
expect_eq "cp out of a directory: files inside" "$(head -1 "$work/etc.out/passwd")" "root:x:0:0:root:/root:/bin/sh"
expect_fail_with "cp of a missing path" "Could not find the file /nope" d cp box:/nope "$work/x"
# A bind mount exists only in the container's mount namespace: cp must go through to its source.
mkdir -p "$work/bind" "$work/bind-ro"
echo "on the host" >"$work/bind/host.txt"
d run -d --name bindbox -v "$work/bind:/data" -v "$work/bind-ro:/ro:ro" busybox sleep 600 >/dev/null
expect_ok "cp a file out of a bind mount" d cp bindbox:/data/host.txt "$work/host.out"
expect_eq "cp out of a bind mount: contents" "$(cat "$work/host.out")" "on the host"
expect_ok "cp a file into a bind mount" d cp "$work/in.txt" bindbox:/data/in.txt
expect_eq "cp into a bind mount lands in its host directory" "$(cat "$work/bind/in.txt")" "from the host"
capture d exec bindbox cat /data/in.txt
expect_eq "cp into a bind mount: the container sees it" "$OUT" "from the host"
expect_fail_with "cp into a read-only bind mount" "mounted volume is marked read-only" \
  d cp "$work/in.txt" bindbox:/ro/in.txt
expect_eq "nothing written into the read-only bind's directory" "$(ls -A "$work/bind-ro")" ""
d rm -f bindbox >/dev/null

# ---- diff, export, commit ----
capture d diff box
expect_contains "diff: an added file" "$OUT" "A /tmp/in.txt"
capture d export box
expect_eq "export succeeds" "$RC" 0
d export -o "$work/box.tar" box
expect_contains "export: the tar holds the container's files" "$(tar -tf "$work/box.tar")" "tmp/marker"
capture d commit box committed:1
expect_match "commit prints the new image ID" "$OUT" '^sha256:[0-9a-f]{64}$'
capture d run --rm committed:1 cat /tmp/marker
expect_eq "the committed image holds the container's changes" "$OUT" "started"
capture d commit --change 'ENV GREETING=changed' --change 'CMD ["sh", "-c", "echo $GREETING"]' box \
  committed:2
expect_match "commit --change prints the new image ID" "$OUT" '^sha256:[0-9a-f]{64}$'
capture d run --rm committed:2
expect_eq "commit --change: ENV and CMD apply to the new image" "$OUT" "changed"
expect_fail_with "commit --change with an instruction docker refuses" "FROM" \
  d commit --change 'FROM busybox' box committed:3
capture d rm -f box
expect_eq "rm -f the exec target" "$RC" 0

assert_finish
