#!/usr/bin/env bash
# What is inside a running container, through the docker CLI against berthd: exec (plain, -i, -d,
# -t), top, stats --no-stream, cp both ways, export, diff, commit and running the committed image.
# Expected outputs are what dockerd 20.10 prints. Needs root.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"
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
capture d top box -o bogus
expect_eq "top with a format ps refuses: ps's own first line, as dockerd reports it" "$ERR" \
  'Error response from daemon: ps: error: unknown user-defined format specifier "bogus"'
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
# Copying over a mount point fails as unlinking it fails in dockerd; the mounted file is untouched.
mkdir -p "$work/over"
echo "not the data dir" >"$work/over/data"
capture d cp "$work/over/data" bindbox:/
expect_eq "cp of a file over a directory (a bind's mount point): exit 1" "$RC" 1
expect_eq "cp of a file over a directory: dockerd's error" "$ERR" \
  'Error response from daemon: Error processing tar file(exit status 1): cannot overwrite directory "/data" with non-directory "/"'
expect_eq "the bind's files are still there" "$(ls "$work/bind")" "host.txt
in.txt"
echo "other-name" >"$work/over/hostname"
capture d cp "$work/over/hostname" bindbox:/etc/hostname
expect_eq "cp over a started container's /etc/hostname: dockerd's error" "$ERR" \
  "Error response from daemon: Error processing tar file(exit status 1): unlinkat /etc/hostname: device or resource busy"
capture d exec bindbox cat /etc/hostname
expect_eq "the container's /etc/hostname is unchanged" "$OUT" "$(d inspect -f '{{.Config.Hostname}}' bindbox)"
d stop -t 0 bindbox >/dev/null
expect_fail_with "cp over a stopped container's /etc/hosts fails as well" \
  "unlinkat /etc/hosts: device or resource busy" d cp "$work/over/hostname" bindbox:/etc/hosts
d rm -f bindbox >/dev/null

# A directory copied over one that holds bind mounts deeper down: what goes below a mount lands in
# its host directory (the mount point's own mode too), as dockerd's untar inside the container does.
mkdir -p "$work/tree/sub/deeper" "$work/tree-ro/ro" "$work/nested" "$work/nested-ro"
echo top >"$work/tree/top.txt"
echo inner >"$work/tree/sub/inner.txt"
echo deep >"$work/tree/sub/deeper/d.txt"
chmod 0700 "$work/tree/sub"
echo x >"$work/tree-ro/ro/x.txt"
d run -d --name nestbox -v "$work/nested:/data/sub" -v "$work/nested-ro:/data/ro:ro" busybox sleep 600 >/dev/null
expect_ok "cp a directory over one holding a bind mount" d cp "$work/tree/." nestbox:/data
expect_eq "its files below the mount are in the bind's host directory" \
  "$(cd "$work/nested" && find . | sort | tr '\n' ' ')$(stat -c %a "$work/nested")" \
  ". ./deeper ./deeper/d.txt ./inner.txt 700"
capture d exec nestbox sh -c 'cat /data/top.txt /data/sub/inner.txt /data/sub/deeper/d.txt'
expect_eq "the container sees them through the mount" "$OUT" "top
inner
deep"
capture d cp "$work/tree-ro/." nestbox:/data
expect_eq "a read-only bind below the target: dockerd's error" "$RC:$ERR" \
  "1:Error response from daemon: Error processing tar file(exit status 1): lchown /data/ro: read-only file system"
expect_eq "nothing written into that bind" "$(ls -A "$work/nested-ro")" ""
d rm -f nestbox >/dev/null

# ---- the engine's files, symlinks, owners, diff and export as dockerd shows them ----
expect_match "cp out of /etc/hostname: the file the container sees" "$(d cp box:/etc/hostname - | tar -xO)" '^[0-9a-f]{12}$'
expect_match "cp out of /etc/hostname: the bound file's mode and owner" "$(d cp box:/etc/hostname - | tar -tv)" '^-rw-r--r-- root/root +13 '
expect_contains "cp out of /etc/hosts: the container's hosts file" "$(d cp box:/etc/hosts - | tar -xO)" "127.0.0.1	localhost"
expect_eq "cp out of /etc/resolv.conf: the container's file" "$(d cp box:/etc/resolv.conf - | tar -xO)" "$(d exec box cat /etc/resolv.conf)"
d create --name cbox busybox true >/dev/null
for f in hostname hosts resolv.conf; do
  expect_ok "cp /etc/$f out of a never-started container succeeds" d cp "cbox:/etc/$f" "$work/$f.out"
  expect_match "cp /etc/$f out of a never-started container: docker's empty file" \
    "$(d cp "cbox:/etc/$f" - | tar -tv)" "^-rwxr-xr-x root/root +0 .* $f\$"
done
echo renamed >"$work/hostname"
expect_ok "cp into /etc/hostname of a never-started container" d cp "$work/hostname" cbox:/etc/hostname
expect_eq "cp into a never-started container's /etc/hostname: read back" "$(d cp cbox:/etc/hostname - | tar -xO)" "renamed"
capture d diff cbox
expect_eq "diff of a never-started container: the replaced /etc/hostname only" "$(sort <<<"$OUT")" "C /etc
C /etc/hostname"
d rm -f cbox >/dev/null

d exec box sh -c 'echo a >/tmp/f1; ln -s /etc/passwd /tmp/plink; ln -s f1 /tmp/link;
  ln -s ../../../../../../../etc/passwd /tmp/esc; ln -s ../../../../etc/shadow /tmp/shadowlink;
  ln -s '"$work/host-secret"' /tmp/hostlink; echo x >/tmp/own; chown 1000:1000 /tmp/own; rm /bin/zcat'
echo "host only" >"$work/host-secret"
mkdir -p "$work/nofollow" "$work/follow"
expect_ok "cp of a symlink out of the container" d cp box:/tmp/plink "$work/nofollow/"
expect_eq "cp without -L copies the symlink itself" "$(readlink "$work/nofollow/plink")" "/etc/passwd"
expect_ok "cp -L of a symlink out of the container" d cp -L box:/tmp/plink "$work/follow/"
expect_eq "cp -L copies the file the link leads to (the container's)" "$(head -1 "$work/follow/plink")" "root:x:0:0:root:/root:/bin/sh"
expect_eq "cp -L of a link climbing out with ..: the container's /etc/shadow, not the host's" \
  "$(d cp -L box:/tmp/shadowlink - | tar -xO)" "$(d exec box cat /etc/shadow)"
expect_eq "cp -L of a link climbing out with ..: resolved inside the container" \
  "$(d cp -L box:/tmp/esc - | tar -xO | head -1)" "root:x:0:0:root:/root:/bin/sh"
expect_fail_with "cp -L of a link to a host path does not reach the host" "Could not find the file" \
  d cp -L box:/tmp/hostlink "$work/leak"
expect_eq "nothing of the host file came out" "$(cat "$work/leak" 2>/dev/null)" ""
expect_match "cp of a link to a host path: only the link" "$(d cp box:/tmp/hostlink - | tar -tv)" "^lrwxrwxrwx root/root .* hostlink -> $work/host-secret\$"
expect_match "cp tar entries carry the owner's ids" "$(d cp box:/tmp/own - | tar -tv)" '^-rw-r--r-- 1000/1000 '
expect_match "cp tar entries carry the container's owner names" "$(d cp box:/tmp/f1 - | tar -tv)" '^-rw-r--r-- root/root '
capture d diff box
expect_eq "diff: symlinks are entries, nothing outside the root, the engine's files hidden" "$(sort <<<"$OUT")" "A /tmp/d
A /tmp/esc
A /tmp/f1
A /tmp/hostlink
A /tmp/in.txt
A /tmp/link
A /tmp/marker
A /tmp/own
A /tmp/plink
A /tmp/shadowlink
C /bin
C /tmp
D /bin/zcat"
exported=$(d export box | tar -tv)
for entry in '-rwxr-xr-x root/root +0 .* \.dockerenv' '-rwxr-xr-x root/root +0 .* dev/console' \
  'drwxr-xr-x root/root +0 .* dev/pts/' 'drwxr-xr-x root/root +0 .* dev/shm/'; do
  expect_match "export holds docker's $entry" "$(grep -E -- "$entry\$" <<<"$exported")" "$entry"
done
capture d run --rm --hostname myhost.example.com busybox cat /etc/hosts
expect_match "/etc/hosts names the container by full and short name" "$(tail -1 <<<"$OUT")" $'^[0-9.]+\tmyhost\\.example\\.com myhost$'
capture d run --rm --dns 10.9.9.9 --dns-search x.test busybox cat /etc/resolv.conf
expect_eq "/etc/resolv.conf: search before nameserver" "$OUT" "search x.test
nameserver 10.9.9.9"

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
# The engine's mount points (/etc/hosts, /etc/hostname, /etc/resolv.conf, /dev/console, ...) and
# /.dockerenv sit in docker's init layer below the container's own: never part of what commit keeps.
mkdir -p "$work/saved"
d save committed:1 | tar -x -C "$work/saved"
top_layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' "$work/saved/manifest.json")
committed_entries=$(tar -tf "$work/saved/$top_layer")
expect_contains "the committed layer holds the container's file" "$committed_entries" "tmp/marker"
for f in etc/hostname etc/hosts etc/resolv.conf etc/mtab .dockerenv dev/console proc/ sys/; do
  expect_eq "the committed layer has no $f of the engine's" "$(grep -Fx -- "$f" <<<"$committed_entries")" ""
done
d create --name never-started busybox echo from-a-fresh-commit >/dev/null
capture d commit never-started fresh:1
expect_match "commit of a container never started (dockerd commits it too)" "$OUT:$RC" '^sha256:[0-9a-f]{64}:0$'
capture d run --rm fresh:1
expect_eq "the image committed from a never-started container runs" "$OUT" "from-a-fresh-commit"
d rm never-started >/dev/null
capture d commit --change 'ENV GREETING=changed' --change 'CMD ["sh", "-c", "echo $GREETING"]' box \
  committed:2
expect_match "commit --change prints the new image ID" "$OUT" '^sha256:[0-9a-f]{64}$'
capture d run --rm committed:2
expect_eq "commit --change: ENV and CMD apply to the new image" "$OUT" "changed"
expect_fail_with "commit --change with an instruction docker refuses, named as dockerd names it" \
  "from is not a valid change command" \
  d commit --change 'FROM busybox' box committed:3
capture d rm -f box
expect_eq "rm -f the exec target" "$RC" 0

assert_finish
