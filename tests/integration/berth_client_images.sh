#!/usr/bin/env bash
# `berth` pull, push, import, update, image prune, system prune and streaming stats against berthd
# in a fresh netns, with the stock docker CLI's output against the same engine as the reference
# where berthd refuses (no registry client yet). Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"
# shellcheck source=../fixtures/berth-client.sh
source "$source_dir/tests/fixtures/berth-client.sh"

berth_client_init
berthd_test_setup

# ---- pull and push: berthd has no registry client, so every pull fails with its message ----
same_as_docker "pull busybox" pull busybox
capture b pull busybox
expect_eq "pull exits 1" "$RC" 1
expect_contains "pull prints the engine's refusal" "$ERR" "Error response from daemon: pull access denied for busybox"
same_as_docker "pull -q localhost:5000/x:1" pull -q localhost:5000/x:1
same_as_docker "pull -a with a tag" pull -a busybox:1
same_as_docker "image pull busybox:1.36" image pull busybox:1.36
same_as_docker "push localhost:5000/busybox" push localhost:5000/busybox
same_as_docker "push busybox" push busybox
capture b run --rm nosuchimage:2 true
expect_eq "run of a missing image: pull fails, exit 125" "$RC" 125
expect_contains "run of a missing image: the pull's error" "$ERR" "berth: Error response from daemon: pull access denied for nosuchimage"

# ---- import: a rootfs tar from a file and from stdin ----
work=$BERTH_BERTHD_DIR/client/images
mkdir -p "$work"
cid=$(b create busybox true)
b export "$cid" >"$work/rootfs.tar" 2>/dev/null || d export "$cid" >"$work/rootfs.tar"
b rm "$cid" >/dev/null
capture b import -c 'CMD ["echo","from-import"]' -m 'imported by berth' "$work/rootfs.tar" imported:1
expect_match "import prints the new image ID" "$OUT" '^sha256:[0-9a-f]{64}$'
expect_eq "import exits 0" "$RC" 0
capture b run --rm imported:1
expect_eq "run of the imported image uses its --change CMD" "$OUT:$RC" "from-import:0"
capture b image inspect -f '{{.Comment}}' imported:1
expect_eq "import -m sets the image comment" "$OUT" "imported by berth"
capture b import - imported:2 <"$work/rootfs.tar"
expect_match "import - reads stdin" "$OUT" '^sha256:[0-9a-f]{64}$'
capture b run --rm imported:2 echo stdin-import
expect_eq "run of the stdin-imported image" "$OUT" "stdin-import"
capture b import "$work/nosuch.tar"
expect_eq "import of a missing file exits 1 naming it" "$RC:$ERR" "1:open $work/nosuch.tar: No such file or directory"

# ---- update ----
b run -d --name upd busybox sleep 300 >/dev/null
capture b update --memory 64m --memory-swap 128m --cpus 0.5 --pids-limit 50 --restart on-failure:2 upd
expect_eq "update prints the container name" "$OUT:$RC" "upd:0"
capture b inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' upd
expect_eq "inspect shows the updated limits" "$OUT" "67108864 500000000 50 on-failure:2"
same_as_docker "update of a missing container" update --memory 64m nosuch
capture b update upd
expect_eq "update without flags exits 1" "$RC" 1
expect_contains "update without flags: docker's message" "$ERR" "you must provide one or more flags when using this command"
capture b update --memory 1m upd
expect_eq "update below the engine's minimum exits 1" "$RC" 1
expect_contains "update below the minimum: the engine's message" "$ERR" "Error response from daemon: Minimum memory limit allowed is 6MB"

# ---- stats without --no-stream: tables keep coming until interrupted ----
set +e
stats_out=$(timeout -s INT 8 env DOCKER_HOST="$BERTH_BERTHD_HOST" "$berth_bin" stats --format '{{.Name}} {{.PIDs}}' upd)
set -e
expect_ok "stats streams more than one sample off a terminal" test "$(grep -c '^upd 1$' <<<"$stats_out")" -ge 2
b rm -f upd >/dev/null

# ---- image prune ----
capture b import "$work/rootfs.tar"
dangling=$OUT
capture b image prune <<<"n"
expect_eq "image prune asks docker's question" "$OUT" $'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] '
expect_ok "image prune answered n keeps the dangling image" b image inspect "$dangling"
capture b image prune -f
expect_eq "image prune -f lists the deleted image and the total" "$(sed -n '1,2p' <<<"$OUT")" $'Deleted Images:\ndeleted: '"$dangling"
expect_match "image prune -f ends with the reclaimed space" "$OUT" $'\n\nTotal reclaimed space: [0-9.]+[kMG]?B$'
same_as_docker "image prune -f with nothing to prune" image prune -f

# ---- system prune: containers, networks, images, build cache, in docker's order ----
capture b run --name gone busybox true
gone_id=$(b inspect -f '{{.Id}}' gone)
b import "$work/rootfs.tar" >/dev/null
capture b system prune -f
expect_eq "system prune -f exits 0" "$RC" 0
expect_contains "system prune lists the stopped container first" "$OUT" $'Deleted Containers:\n'"$gone_id"$'\n\nDeleted Images:\ndeleted: sha256:'
expect_match "system prune ends with the total" "$OUT" $'\nTotal reclaimed space: [0-9.]+[kMG]?B$'
capture b inspect gone
expect_eq "system prune removed the stopped container" "$RC" 1
same_as_docker "system prune -f with nothing to prune" system prune -f
capture b system prune --volumes <<<"n"
capture d system prune --volumes <<<"n"
d_prompt=$OUT
capture b system prune --volumes <<<"n"
expect_eq "system prune --volumes asks docker's question" "$OUT" "$d_prompt"
expect_ok "the image busybox survives all of it" b image inspect busybox

# ---- login needs the engine's /auth (berthd has none yet); logout edits docker's config file ----
capture b login -u me --password-stdin localhost:5000 <<<"secret"
expect_eq "login exits 1 when the engine refuses" "$RC" 1
expect_contains "login prints the engine's error" "$ERR" "Error response from daemon:"
capture b login -u me localhost:5000 </dev/null
expect_contains "login without a password off a terminal: docker's message" "$ERR" "Cannot perform an interactive login from a non TTY device"
cfg=$work/docker-config
mkdir -p "$cfg"
printf '{\n\t"auths": {\n\t\t"localhost:5000": {"auth": "bWU6c2VjcmV0"},\n\t\t"other.example:443": {"auth": "eDp5"}\n\t},\n\t"psFormat": "table {{.ID}}"\n}\n' >"$cfg/config.json"
capture env DOCKER_CONFIG="$cfg" "$berth_bin" logout http://localhost:5000/v2/
expect_eq "logout prints docker's line for the host" "$OUT:$RC" "Removing login credentials for localhost:5000:0"
expect_eq "logout removed only that registry" "$(jq -c '.auths | keys' "$cfg/config.json")" '["other.example:443"]'
expect_eq "logout kept the other settings" "$(jq -r .psFormat "$cfg/config.json")" "table {{.ID}}"
capture env DOCKER_CONFIG="$cfg" "$berth_bin" logout
expect_eq "logout without a server names Docker Hub" "$OUT" "Removing login credentials for https://index.docker.io/v1/"

assert_finish
