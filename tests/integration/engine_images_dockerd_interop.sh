#!/usr/bin/env bash
# Image archives cross between berthd and the reference engine (Debian's dockerd 20.10), each in its
# own network namespace: what `docker save` gets from berthd, dockerd loads and runs (same IDs and
# sizes); what dockerd saves (legacy <id>/layer.tar layout, a committed layer with a whiteout),
# berthd loads with the same IDs and layers. Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"
# shellcheck source=../fixtures/dockerd-in-netns.sh
source "$source_dir/tests/fixtures/dockerd-in-netns.sh"

berthd_test_setup
# Keep the script's status for _berthd_test_exit, which reads $?.
trap 'rc=$?; dockerd_netns_stop; (exit $rc); _berthd_test_exit' EXIT
if ! dockerd_netns_start; then
  echo "FAIL: dockerd did not start"
  dockerd_netns_logs
  exit 1
fi
b() { berthd_netns_docker "$@"; }
o() { dockerd_netns_docker "$@"; }
work=$BERTH_BERTHD_DIR/client

# ---- berthd -> dockerd ----
# A rootfs of its own: the test image's static busybox, and one file.
mkdir -p "$work/rootfs"
layer=$(tar -xOf "$BERTH_TEST_IMAGE" manifest.json | grep -oE '[0-9a-f]{64}/layer\.tar' | head -1)
tar -xOf "$BERTH_TEST_IMAGE" "$layer" | tar -C "$work/rootfs" -x bin/busybox
printf 'hello\n' >"$work/rootfs/hello"
tar -C "$work/rootfs" -czf "$work/root.tar.gz" .
capture b import -c 'CMD ["/bin/busybox","cat","/hello"]' "$work/root.tar.gz" imp:1
expect_eq "berthd imports a rootfs tar" "$RC" 0
capture b save -o "$work/from-berth.tar" busybox imp:1
expect_eq "berthd saves two images" "$RC" 0
capture o load -i "$work/from-berth.tar"
expect_eq "dockerd loads berthd's archive" "$OUT" $'Loaded image: busybox:latest\nLoaded image: imp:1'
b_list=$(b images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' | sort)
o_list=$(o images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' | sort)
expect_eq "dockerd lists the same IDs and sizes" "$o_list" "$b_list"
capture o run --rm --network none imp:1
expect_eq "dockerd runs berthd's imported image" "$OUT" "hello"

# ---- dockerd -> berthd ----
capture o run --name c1 --network none busybox sh -c 'rm /etc/group; mkdir /x; echo hi >/x/f'
expect_eq "dockerd runs a container that deletes a file" "$RC" 0
capture o commit -c 'CMD ["cat","/x/f"]' c1 committed:1
expect_eq "dockerd commits it" "$RC" 0
capture o save -o "$work/from-dockerd.tar" committed:1
expect_eq "dockerd saves it" "$RC" 0
capture tar -tf "$work/from-dockerd.tar"
expect_match "dockerd's archive is the legacy layout" "$OUT" $'[0-9a-f]{64}/layer\\.tar'
capture b load -i "$work/from-dockerd.tar"
expect_eq "berthd loads dockerd's archive" "$OUT" "Loaded image: committed:1"
expect_eq "same image ID" "$(b image inspect -f '{{.Id}}' committed:1)" \
  "$(o image inspect -f '{{.Id}}' committed:1)"
expect_eq "same layers" "$(b image inspect -f '{{json .RootFS.Layers}}' committed:1)" \
  "$(o image inspect -f '{{json .RootFS.Layers}}' committed:1)"
expect_eq "same history sizes" "$(b history --format '{{.Size}}' committed:1)" \
  "$(o history --format '{{.Size}}' committed:1)"
# The deleted file is an overlay whiteout in berthd's copy of the committed layer.
top=$(b image inspect -f '{{.GraphDriver.Data.UpperDir}}' committed:1)
expect_eq "the whiteout is a 0/0 character device" "$(stat -c '%F %t:%T' "$top/etc/group")" \
  "character special file 0:0"

assert_finish
