#!/usr/bin/env bash
# `berth` as the Docker client against berthd in a fresh netns: version, images, load, run (attached,
# -i, -d, --rm, exit codes, unknown image, missing command), logs, ps formats, exec, inspect --format,
# stop, rm -f, and a terminal session (run -it under script(1): output, exit code, stty size). Where
# docker documents the output (ps and images headers, inspect keys, version fields) the stock docker
# CLI's output against the same engine is the reference. Needs root; finishes on its own.
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

# ---- version ----
capture b version
expect_eq "version exits 0" "$RC" 0
expect_match "version: Client block with docker's fields" "$OUT" $'^Client:\n Version: +[0-9.]+\n API version: +1\\.50'
expect_contains "version: Server block names the Engine component" "$OUT" $'\n Engine:\n  Version:'
expect_contains "version: engine API version with its minimum" "$OUT" "(minimum version 1.24)"
capture b version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}'
expect_eq "version --format .Server fields equal docker's" "$OUT" \
  "$(d version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}')"
capture b -H unix:///nonexistent.sock version
expect_eq "version against a missing engine exits 1" "$RC" 1
expect_contains "version: client block still printed" "$OUT" "Client:"
expect_contains "version: the unreachable engine is named" "$ERR" "unix:///nonexistent.sock"

# ---- images and load ----
capture b images
expect_eq "images output is identical to docker's" "$OUT" "$(d images)"
expect_eq "images header is docker's" "$(head -1 <<<"$OUT" | tr -s ' ')" "REPOSITORY TAG IMAGE ID CREATED SIZE"
capture b images -q
expect_eq "images -q equals docker's" "$OUT" "$(d images -q)"
capture b tag busybox bb-copy:1
expect_eq "tag exits 0" "$RC" 0
capture b load -i "$BERTH_TEST_IMAGE"
expect_eq "load -i prints Loaded image" "$OUT" "Loaded image: busybox:latest"
capture b load <"$BERTH_TEST_IMAGE"
expect_eq "load from stdin prints Loaded image" "$OUT" "Loaded image: busybox:latest"
capture b rmi bb-copy:1
expect_eq "rmi prints Untagged" "$OUT" "Untagged: bb-copy:1"

# ---- run ----
capture b run --rm busybox echo hi
expect_eq "run --rm busybox echo hi prints hi" "$OUT:$RC:$ERR" "hi:0:"
capture b run --rm busybox ls -la /bin/busybox
expect_match "run passes -la after the image to the container" "$OUT" '^-rwx'
capture b run --rm busybox sh -c 'echo out; echo err >&2'
expect_eq "run: stdout to stdout" "$OUT" "out"
expect_eq "run: stderr to stderr" "$ERR" "err"
capture b run -i --rm busybox cat <<<"hi"
expect_eq "echo hi | run -i --rm busybox cat prints hi" "$OUT:$RC" "hi:0"
capture b run -i --rm busybox wc -c < <(head -c 300000 /dev/zero)
expect_eq "run -i passes 300000 bytes of stdin" "$(tr -d ' ' <<<"$OUT")" "300000"
expect_status "run --rm busybox sh -c 'exit 3' exits 3" 3 b run --rm busybox sh -c 'exit 3'
capture b run --rm busybox nosuchcmd
expect_eq "run of a missing command exits 127" "$RC" 127
expect_contains "run nosuchcmd: daemon error printed" "$ERR" 'berth: Error response from daemon: '
expect_contains "run nosuchcmd: names the command" "$ERR" 'nosuchcmd'
capture b run --rm busybox /etc/passwd
expect_eq "run of a non-executable file exits 126" "$RC" 126
capture b run --rm nosuchimage:1 true
expect_eq "run of an unknown image exits 125" "$RC" 125
expect_contains "run unknown image: docker's Unable to find line" "$ERR" "Unable to find image 'nosuchimage:1' locally"
expect_contains "run unknown image: the pull error" "$ERR" "berth: Error response from daemon:"
capture b run --rm --badflag busybox true
expect_eq "run with an unknown flag exits 125" "$RC" 125
capture b ps -aq
expect_eq "every run --rm left nothing behind" "$OUT" ""

capture b run --rm -e A=1 -w /tmp -u 1000 --hostname hh busybox sh -c 'echo $A $(pwd) $(id -u) $(hostname)'
expect_eq "run -e -w -u --hostname reach the container" "$OUT" "1 /tmp 1000 hh"
capture b run --rm --read-only busybox touch /x
expect_eq "run --read-only: writing the root fails" "$RC" 1

# ---- run -d, logs, ps, exec, inspect, stop, rm ----
capture b run -d --name web -l team=a busybox sh -c 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done'
web_id=$OUT
expect_match "run -d prints the full ID" "$web_id" '^[0-9a-f]{64}$'
logs_have() { b logs web 2>/dev/null | grep -qx "$1"; }
if wait_until 10 logs_have line2; then pass "logs shows the container's output"; else fail "logs shows the container's output" "$(b logs web 2>&1 | head)"; fi
capture b logs --tail 1 web
expect_match "logs --tail 1 prints one line" "$OUT" '^line[0-9]+$'
capture b logs -t web
expect_match "logs -t prefixes timestamps" "$(head -1 <<<"$OUT")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z line0$'
capture timeout 2 "$berth_bin" -H "$BERTH_BERTHD_HOST" logs -f web
expect_eq "logs -f keeps following until interrupted (timeout 124)" "$RC" 124
expect_contains "logs -f printed lines meanwhile" "$OUT" "line1"

capture b ps
expect_eq "ps header is docker's" "$(head -1 <<<"$OUT")" "$(d ps | head -1)"
expect_eq "ps output equals docker's (but for the clock)" "$(sed -E 's/[0-9]+ seconds?|Less than a second|About a minute/T/g' <<<"$OUT")" \
  "$(d ps | sed -E 's/[0-9]+ seconds?|Less than a second|About a minute/T/g')"
capture b ps -q
expect_eq "ps -q prints the short ID" "$OUT" "${web_id:0:12}"
capture b ps --no-trunc -q
expect_eq "ps --no-trunc -q prints the full ID" "$OUT" "$web_id"
capture b ps --format '{{.Names}} {{.Image}} {{.State}} {{.Labels}}'
expect_eq "ps --format placeholders" "$OUT" "web busybox running team=a"
capture b ps --format 'table {{.ID}}\t{{.Names}}'
expect_eq "ps --format table has docker's headers" "$OUT" "$(d ps --format 'table {{.ID}}\t{{.Names}}')"
capture b ps --format json
expect_eq "ps --format json has docker's keys" "$(jq -c 'keys' <<<"$OUT")" "$(d ps --format json | jq -c 'keys')"
capture b ps -a --filter name=nosuch -q
expect_eq "ps --filter name=nosuch lists nothing" "$OUT" ""
capture b ps -s --format '{{.Size}}'
expect_match "ps -s shows sizes" "$OUT" '^[0-9.]+k?B( \(virtual [0-9.]+[kM]B\))?$'

capture b exec web echo inside
expect_eq "exec prints the command's output" "$OUT:$RC" "inside:0"
expect_status "exec returns the command's exit code" 4 b exec web sh -c 'exit 4'
capture b exec -e X=2 -w /tmp -u 1000 web sh -c 'echo $X $(pwd) $(id -u)'
expect_eq "exec -e -w -u" "$OUT" "2 /tmp 1000"
capture b exec -i web cat <<<"piped"
expect_eq "exec -i passes stdin" "$OUT" "piped"
capture b exec -d web touch /tmp/detached
expect_eq "exec -d exits 0 at once" "$RC" 0
if wait_until 5 b exec web test -f /tmp/detached; then pass "exec -d ran the command"; else fail "exec -d ran the command"; fi

capture b inspect --format '{{.State.Status}} {{.Name}} {{.Config.Labels.team}}' web
expect_eq "inspect --format" "$OUT" "running /web a"
capture b inspect -f '{{json .Config.Cmd}}' web
expect_eq "inspect -f json" "$OUT" '["sh","-c","i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done"]'
capture b inspect web
expect_eq "inspect: a JSON array with the same keys as docker's" "$(jq -c '.[0] | keys' <<<"$OUT")" "$(d inspect web | jq -c '.[0] | keys')"
expect_eq "inspect: indented like docker's" "$(head -2 <<<"$OUT")" "$(d inspect web | head -2)"
capture b inspect busybox
expect_eq "inspect falls back to images" "$(jq -r '.[0].RepoTags[0]' <<<"$OUT")" "busybox:latest"
capture b inspect nosuch
expect_eq "inspect of nothing exits 1" "$RC" 1
expect_contains "inspect of nothing: docker's message" "$ERR" "No such object: nosuch"

capture b stop -t 1 web
expect_eq "stop prints the name" "$OUT:$RC" "web:0"
capture b ps -a --format '{{.Status}}'
expect_match "stopped container shows Exited" "$OUT" '^Exited \([0-9]+\) '
capture b wait web
expect_match "wait prints the exit code" "$OUT" '^[0-9]+$'
capture b start web
expect_eq "start prints the name" "$OUT:$RC" "web:0"
capture b rm web
expect_eq "rm of a running container exits 1" "$RC" 1
expect_contains "rm of a running container: daemon error" "$ERR" "Error response from daemon:"
capture b rm -f web
expect_eq "rm -f prints the name" "$OUT:$RC" "web:0"
capture b rm nosuch
expect_eq "rm of a missing container: exit 1 and docker's message" "$RC:$ERR" "1:Error response from daemon: No such container: nosuch"

# create + start -a
capture b create --name c1 busybox sh -c 'echo created-run; exit 5'
expect_match "create prints the ID" "$OUT" '^[0-9a-f]{64}$'
capture b start -a c1
expect_eq "start -a prints output and returns the exit code" "$OUT:$RC" "created-run:5"
capture b rm c1
expect_eq "rm of an exited container" "$OUT:$RC" "c1:0"

# ---- a terminal: run -it under script(1) ----
tty_out=$BERTH_BERTHD_DIR/client/tty.out
tty_cmd="stty rows 33 cols 101; DOCKER_HOST=$BERTH_BERTHD_HOST $berth_bin run -it --rm busybox sh"
set +e
{ sleep 2; printf 'stty size; echo hi; exit 3\r'; sleep 3; } |
  timeout 30 script -qec "$tty_cmd" /dev/null >"$tty_out" 2>&1
tty_rc=$?
set -e
expect_eq "run -it: the container's exit code (3) comes back" "$tty_rc" 3
expect_contains "run -it: the typed echo prints hi" "$(tr -d '\r' <"$tty_out")" $'\nhi'
expect_contains "run -it: stty size in the container is the terminal's" "$(tr -d '\r' <"$tty_out")" "33 101"

assert_finish
