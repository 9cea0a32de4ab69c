#!/usr/bin/env bash
# berthd as the docker CLI sees it: version, info, and the image commands (load, images, save, rmi, tag).
# Expected outputs are what Debian's dockerd 20.10 prints for the same commands (formats fixed by the
# CLI), with berth's own identity where the engine names itself. Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"

BERTH_TEST_NO_LOAD=1 berthd_test_setup
d() { berthd_netns_docker "$@"; }
work=$BERTH_BERTHD_DIR/client

# What the archive says the image is: ID = sha256 of the config, size = sum of the layers' regular files
# (hard links counted once), shown by the CLI in decimal units with 3 significant digits.
config_name=$(tar -xOf "$BERTH_TEST_IMAGE" manifest.json | sed -E 's/^.*"Config":"([0-9a-f]{64})\.json".*$/\1/')
image_id=sha256:$config_name
short_id=${config_name:0:12}
image_size=0
for layer in $(tar -xOf "$BERTH_TEST_IMAGE" manifest.json | grep -oE '[0-9a-f]{64}/layer\.tar'); do
  n=$(tar -xOf "$BERTH_TEST_IMAGE" "$layer" | tar -tv | awk '$1 ~ /^-/ { s += $3 } END { print s + 0 }')
  image_size=$((image_size + n))
done
human_size=$(awk -v s="$image_size" 'BEGIN {
  split("B kB MB GB TB", u, " "); i = 1; while (s >= 1000 && i < 5) { s /= 1000; i++ }
  printf "%.3g%s", s, u[i] }')

# ---- version ----
capture d version
expect_eq "docker version exits 0" "$RC" 0
expect_contains "docker version: 'Server: berth Engine'" "$OUT" $'\nServer: berth Engine\n'
expect_match "docker version: server API version 1.50, minimum 1.24" "$OUT" \
  $'\n  API version: +1\\.50 \\(minimum version 1\\.24\\)\n'
expect_not_contains "docker version: client not downgraded" "$OUT" "downgraded"
if git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1; then
  expect_contains "docker version: the commit berthd was built from" "$OUT" \
    $'\n  Git commit:       '"$(git -C "$source_dir" log -1 --format=%h)"$'\n'
  expect_contains "docker version: built at that commit's time, as the CLI prints it" "$OUT" \
    $'\n  Built:            '"$(TZ=UTC git -C "$source_dir" log -1 --date='format-local:%a %b %e %H:%M:%S %Y' --format=%cd)"$'\n'
fi
runtime=runc
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && runtime=crun
expect_contains "docker version: the runtime under the engine, with its version" "$OUT" \
  $'\n '"$runtime"$':\n  Version:          '"$("$runtime" --version | sed -n "1s/^$runtime version //p")"$'\n'
expect_match "docker version: docker-init and its version" "$OUT" \
  $'\n docker-init:\n  Version: +[0-9]+\\.[0-9]+\\.[0-9]+\n'
capture d version --format '{{.Server.APIVersion}}|{{.Server.MinAPIVersion}}|{{.Client.APIVersion}}|{{.Server.Os}}|{{.Server.Arch}}'
expect_eq "docker version --format API versions, os, arch" "$OUT" "1.50|1.24|1.50|linux|amd64"

# ---- info (nothing loaded yet) ----
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  cgroup_version=2 default_runtime=crun
else
  cgroup_version=1 default_runtime=runc   # crun 1.8 refuses hybrid hosts; berthd must fall back
fi
capture d info --format '{{.Containers}} {{.Images}}'
expect_eq "docker info: 0 containers, 0 images on a fresh engine" "$OUT" "0 0"

# ---- load ----
capture d load -i "$BERTH_TEST_IMAGE"
expect_eq "docker load -i busybox.tar prints 'Loaded image: busybox:latest'" "$OUT" "Loaded image: busybox:latest"
expect_eq "docker load exits 0" "$RC" 0
capture d image inspect -f '{{.Id}} {{json .RepoTags}} {{json .Config.Cmd}} {{.Os}} {{.Architecture}} {{.Size}}' busybox
expect_eq "image inspect busybox: id, tags, cmd, platform, size" "$OUT" \
  "$image_id [\"busybox:latest\"] [\"sh\"] linux amd64 $image_size"

capture d images
expect_eq "docker images exits 0" "$RC" 0
expect_match "docker images header" "$(sed -n 1p <<<"$OUT")" '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
expect_match "docker images row: busybox latest <id> <age> <size>" "$(sed -n 2p <<<"$OUT")" \
  "^busybox +latest +$short_id +[A-Za-z0-9 ]+ ago +${human_size//./\\.}\$"
expect_eq "docker images lists exactly one image" "$(wc -l <<<"$OUT")" 2
capture d images -q
expect_eq "docker images -q" "$OUT" "$short_id"

capture d info
expect_eq "docker info exits 0" "$RC" 0
expect_contains "docker info: Containers: 0" "$OUT" $'\n Containers: 0\n'
expect_contains "docker info: Images: 1" "$OUT" $'\n Images: 1\n'
expect_match "docker info: Runtimes includes runc" "$OUT" $'\n Runtimes:[^\n]* runc( |\n)'
expect_contains "docker info: Default Runtime: $default_runtime" "$OUT" $'\n Default Runtime: '"$default_runtime"$'\n'
expect_contains "docker info: Cgroup Version: $cgroup_version" "$OUT" $'\n Cgroup Version: '"$cgroup_version"$'\n'
expect_contains "docker info: Docker Root Dir is the data root" "$OUT" $'\n Docker Root Dir: '"$BERTH_BERTHD_DATA"$'\n'
expect_contains "docker info: Swarm: inactive" "$OUT" $'\n Swarm: inactive\n'
expect_not_contains "docker info: no server errors" "$OUT$ERR" "ERROR"
capture d info --format '{{.DockerRootDir}}|{{.DefaultRuntime}}|{{.CgroupVersion}}|{{.Swarm.LocalNodeState}}|{{.OSType}}'
expect_eq "docker info --format fields" "$OUT" "$BERTH_BERTHD_DATA|$default_runtime|$cgroup_version|inactive|linux"

# ---- tag / rmi of a tag ----
capture d tag busybox mybox:1
expect_eq "docker tag busybox mybox:1 prints nothing, exits 0" "$RC:$OUT$ERR" "0:"
capture d images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
expect_eq "docker images lists both tags with the same ID" "$(sort <<<"$OUT")" \
  "$(printf 'busybox:latest %s\nmybox:1 %s' "$short_id" "$short_id")"
capture d image inspect -f '{{.Id}}' mybox:1
expect_eq "mybox:1 resolves to the busybox image" "$OUT" "$image_id"
capture d rmi mybox:1
expect_eq "docker rmi mybox:1 prints 'Untagged: mybox:1'" "$OUT" "Untagged: mybox:1"
capture d images --format '{{.Repository}}:{{.Tag}}'
expect_eq "after rmi mybox:1 only busybox:latest is left" "$OUT" "busybox:latest"
expect_fail_with "docker rmi of an unknown image: 'No such image'" \
  "Error response from daemon: No such image: nosuch:latest" d rmi nosuch
capture d image inspect nosuch
expect_eq "docker image inspect of an unknown image: dockerd's words" "$ERR" \
  "Error response from daemon: no such image: nosuch: No such image: nosuch:latest"
capture d save nosuch
expect_eq "docker save of an unknown repository names it as given" "$ERR" \
  "Error response from daemon: No such image: nosuch"

# ---- save, rmi, load back ----
capture d save -o "$work/saved.tar" busybox
expect_eq "docker save -o exits 0" "$RC" 0
capture tar -tf "$work/saved.tar"
expect_contains "saved archive has manifest.json" "$OUT" "manifest.json"
expect_contains "saved archive has the config blob" "$OUT" "$config_name"
capture d rmi busybox
expect_eq "docker rmi busybox exits 0" "$RC" 0
expect_eq "docker rmi busybox: first line 'Untagged: busybox:latest'" "$(sed -n 1p <<<"$OUT")" "Untagged: busybox:latest"
expect_contains "docker rmi busybox: 'Deleted: <image id>'" "$OUT" "Deleted: $image_id"
capture d images -q
expect_eq "no images after rmi" "$OUT" ""
capture d load -i "$work/saved.tar"
expect_eq "docker load of the saved archive" "$OUT" "Loaded image: busybox:latest"
capture d image inspect -f '{{.Id}}' busybox
expect_eq "reloaded image has the same ID" "$OUT" "$image_id"
capture d load <"$work/saved.tar"
expect_eq "docker load from stdin (already present)" "$OUT" "Loaded image: busybox:latest"

# ---- rmi of an image a running container uses: refused even with -f, nothing lost ----
capture d run -d --name runner busybox sleep 600
runner=$OUT
capture d rmi -f "$image_id"
expect_eq "rmi -f by ID of an image a running container uses exits 1" "$RC" 1
expect_eq "rmi -f by ID, running user: dockerd's conflict message" "$ERR" \
  "Error response from daemon: conflict: unable to delete $short_id (cannot be forced) - image is being used by running container ${runner:0:12}"
capture d images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
expect_eq "the image and its tag are still there" "$OUT" "busybox:latest $short_id"
d rm -f runner >/dev/null

# ---- rmi of an image a container uses ----
capture d create --name holder busybox true
cid=$OUT
expect_match "docker create prints a 64-hex ID" "$cid" '^[0-9a-f]{64}$'
capture d rmi busybox
expect_eq "docker rmi of an image used by a container exits 1" "$RC" 1
expect_eq "docker rmi of an image used by a container: docker's conflict message" "$ERR" \
  "Error response from daemon: conflict: unable to remove repository reference \"busybox\" (must force) - container ${cid:0:12} is using its referenced image $short_id"
capture d images -q
expect_eq "the image is still there after the refused rmi" "$OUT" "$short_id"
capture d rmi -f busybox
expect_eq "docker rmi -f exits 0" "$RC" 0
expect_contains "docker rmi -f: Untagged: busybox:latest" "$OUT" "Untagged: busybox:latest"
capture d images --format '{{.Repository}}:{{.Tag}}'
expect_eq "no busybox:latest after rmi -f" "$OUT" ""
capture d ps -a --format '{{.Names}}'
expect_eq "the container survives rmi -f of its image" "$OUT" "holder"
capture d rm holder
expect_eq "docker rm holder" "$OUT" "holder"

# ---- image prune -a: its events name each image by ID, as dockerd's do ----
d load -qi "$BERTH_TEST_IMAGE" >/dev/null
d tag busybox mybox:1
prune_id=$(d image inspect -f '{{.Id}}' busybox)
prune_since=$(date +%s.%N)
d image prune -af >/dev/null
sleep 1
capture d events --since "$prune_since" --until "$(($(date +%s) + 1))" --filter type=image \
  --format '{{.Action}} {{.ID}} {{.Actor.Attributes.name}}'
expect_eq "image prune -a: untag per reference, then delete, then prune" "$OUT" \
  "untag $prune_id $prune_id
untag $prune_id $prune_id
delete $prune_id $prune_id
prune  <no value>"

assert_finish
