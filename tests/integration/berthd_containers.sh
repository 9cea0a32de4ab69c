#!/usr/bin/env bash
# Container lifecycle through the docker CLI against berthd: run (attached, -i, -t, exit codes, bad
# command), logs (all, --tail, -f), stop, rename, ps and its filters, kill -s, wait, rm -f, prune,
# events, restart policies, pause. Expected outputs are what dockerd 20.10 prints for the same commands.
# Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"
work=$BERTH_BERTHD_DIR/client
# Run-time knowledge of the container, for checks that go behind the engine's back.
state_of() { d inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
logs_have() { d logs "$1" 2>&1 | grep -qx -- "$2"; }

events_since=$(date +%s)

# ---- docker run, attached ----
capture d run --rm busybox echo hi
expect_eq "run --rm busybox echo hi prints exactly hi" "$OUT" "hi"
expect_eq "run --rm busybox echo hi: exit 0, nothing on stderr" "$RC:$ERR" "0:"
capture d ps -aq
expect_eq "run --rm leaves no container (ps -a empty)" "$OUT" ""

# The attach opened before start must see a process that exits at once: run it many times, since a
# race between attach and start loses the output only now and then.
lost=0
for i in $(seq 1 30); do
  out=$(d run --rm --network none busybox echo "run$i" 2>&1 || true)
  [ "$out" = "run$i" ] || { lost=$((lost + 1)); lost_example="run$i printed '$out'"; }
done
if [ "$lost" -eq 0 ]; then pass "30 x run --rm busybox echo: every run prints its output"; else
  fail "30 x run --rm busybox echo: every run prints its output" "$lost of 30 lost output; e.g. $lost_example"; fi

# berthd answers a run --rm once the container is gone from its view and releases the rest after
# (rootfs unmount, runtime state, files, the trash): none of it may stay behind.
leftovers() {
  grep -F " $BERTH_BERTHD_EXEC/containers/" /proc/self/mountinfo | awk '{print "mounted: " $5}'
  find "$BERTH_BERTHD_DATA/containers" "$BERTH_BERTHD_EXEC/containers" "$BERTH_BERTHD_DATA/trash" \
    "$BERTH_BERTHD_EXEC/trash" "$BERTH_BERTHD_EXEC"/runtime/* -mindepth 1 -maxdepth 1 2>/dev/null
}
no_leftovers() { [ -z "$(leftovers)" ]; }
if wait_until 10 no_leftovers; then pass "run --rm leaves no mount, record, bundle or trash behind"; else
  fail "run --rm leaves no mount, record, bundle or trash behind" "$(leftovers | head -5)"; fi

capture d run --rm busybox sh -c 'echo out; echo err >&2'
expect_eq "run: stdout goes to stdout" "$OUT" "out"
expect_eq "run: stderr goes to stderr" "$ERR" "err"

capture d run -i --rm busybox cat <<<"hi"
expect_eq "echo hi | run -i --rm busybox cat prints hi" "$OUT" "hi"
expect_eq "run -i ... cat exits 0" "$RC" 0
capture d run -i --rm busybox wc -c < <(head -c 300000 /dev/zero)
expect_eq "run -i passes 300000 bytes of stdin through intact" "$(tr -d ' ' <<<"$OUT")" "300000"

expect_status "run --rm busybox sh -c 'exit 3' exits 3" 3 d run --rm busybox sh -c 'exit 3'

capture d run --rm busybox nosuchcmd
expect_eq "run --rm busybox nosuchcmd exits 127" "$RC" 127
expect_contains "run nosuchcmd: error names the command" "$ERR" 'exec: "nosuchcmd": executable file not found in $PATH'
expect_contains "run nosuchcmd: printed as a daemon error" "$ERR" "docker: Error response from daemon: "
capture d run --rm busybox /nosuchcmd
expect_eq "run --rm busybox /nosuchcmd exits 127" "$RC" 127
expect_contains "run /nosuchcmd: error names the path" "$ERR" '/nosuchcmd'
capture d run --rm busybox /etc/passwd
expect_eq "run of a non-executable file exits 126" "$RC" 126
# dockerd's words for a refused start, through containerd's layers, which users and scripts know.
expect_contains "run nosuchcmd: dockerd's full message" "$(d run --rm busybox nosuchcmd 2>&1)" \
  'docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown'
d create --name refused busybox /etc >/dev/null
capture berthd_netns_api POST /containers/refused/start
expect_eq "start of a directory as the command answers 400" "$(tail -n1 <<<"$OUT")" 400
expect_eq "... and records exit code 126 with the message" \
  "$(d inspect -f '{{.State.ExitCode}} {{.State.Status}} {{.State.Error}}' refused)" \
  '126 created failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/etc": permission denied: unknown'
d rm refused >/dev/null
d create --name onto-dir -v /etc/hostname:/etc busybox true >/dev/null
capture d start onto-dir
expect_contains "a file mounted onto a directory: dockerd's hint" "$ERR" \
  "not a directory: unknown: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type"
expect_eq "... and exit code 127 recorded, as dockerd records it" \
  "$(d inspect -f '{{.State.ExitCode}}' onto-dir)" 127
d rm onto-dir >/dev/null
capture d ps -aq
expect_eq "failed run --rm leaves no container" "$OUT" ""
capture d run --rm nosuchimage:1 true
expect_eq "run of a missing image exits 125" "$RC" 125
expect_contains "run of a missing image: 'Unable to find image' then a pull error" "$ERR" "Unable to find image 'nosuchimage:1' locally"

capture berthd_netns_docker_tty run -t --rm busybox echo tty
expect_contains "run -t (under script) prints tty" "$OUT" "tty"
expect_eq "run -t exits 0" "$RC" 0
capture berthd_netns_docker_tty run -t --rm busybox sh -c 'test -t 0 && test -t 1 && echo isatty; stty size'
expect_contains "run -t: stdin and stdout are terminals in the container" "$OUT" "isatty"

# ---- logs ----
capture d run -d --name web busybox sh -c 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done'
web_id=$OUT
expect_match "run -d prints the full ID" "$web_id" '^[0-9a-f]{64}$'
if wait_until 10 logs_have web line2; then pass "logs web reaches line2"; else fail "logs web reaches line2" "$(d logs web 2>&1 | head)"; fi
capture d logs web
expect_eq "logs web: first line is line0" "$(sed -n 1p <<<"$OUT")" "line0"
expect_eq "logs web: lines are consecutive" "$(awk '$0 != "line" NR-1 { print "gap at " NR ": " $0; exit }' <<<"$OUT")" ""
capture d logs --tail 1 web
expect_match "logs --tail 1 prints one line" "$OUT" '^line[0-9]+$'
capture d logs --tail 0 web
expect_eq "logs --tail 0 prints nothing" "$OUT" ""
capture d logs -t --tail 1 web
expect_match "logs -t prefixes RFC3339Nano timestamps" "$OUT" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]+Z line[0-9]+$'
d logs -f web >"$work/follow.txt" 2>&1 &
follow_pid=$!
sleep 1
before=$(wc -l <"$work/follow.txt")
sleep 2
after=$(wc -l <"$work/follow.txt")
if process_alive "$follow_pid"; then pass "logs -f is still following after 3 s"; else fail "logs -f is still following after 3 s" "$(tail -n 3 "$work/follow.txt")"; fi
kill "$follow_pid" 2>/dev/null || true
wait "$follow_pid" 2>/dev/null || true
if [ "$after" -gt "$((before + 3))" ]; then
  pass "logs -f keeps streaming ($before lines at 1 s, $after at 3 s)"
else
  fail "logs -f keeps streaming" "$before lines at 1 s, $after at 3 s" "$(tail -n 3 "$work/follow.txt")"
fi

# ---- stop, rename ----
capture d stop -t 1 web
expect_eq "stop -t 1 web prints web" "$OUT" "web"
capture d ps -a --filter name=web --format '{{.Status}}'
expect_match "ps -a shows web Exited (137) or (143)" "$OUT" '^Exited \((137|143)\) '
capture d ps -q
expect_eq "stopped container not in ps" "$OUT" ""
capture d stop web
expect_eq "stop of a stopped container succeeds and prints its name" "$RC:$OUT" "0:web"
capture d rename web web2
expect_eq "rename web web2: exit 0, no output" "$RC:$OUT$ERR" "0:"
capture d inspect --format '{{.Name}} {{.State.Status}}' web2
expect_eq "inspect --format '{{.Name}} {{.State.Status}}' web2" "$OUT" "/web2 exited"
capture d inspect --format '{{.Id}}' "${web_id:0:12}"
expect_eq "inspect by ID prefix" "$OUT" "$web_id"
expect_fail_with "inspect of the old name fails" "No such object: web" d inspect web
capture d rename web2 x
expect_eq "rename to an invalid name: dockerd's words" "$ERR" \
  "Error response from daemon: Error when allocating new name: Invalid container name (/x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed
Error: failed to rename container named web2"
capture d rename web2 web2
expect_eq "rename to its own name: dockerd's words" "$ERR" \
  "Error response from daemon: Renaming a container with the same name as its current name
Error: failed to rename container named web2"
capture d exec web2 true
expect_eq "exec into a stopped container: dockerd's words" "$ERR" \
  "Error response from daemon: Container $web_id is not running"

# ---- ps ----
capture d run -d --name psrun --label tier=front busybox sleep 300
ps_id=$OUT
capture d ps
expect_match "ps header" "$(sed -n 1p <<<"$OUT")" '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$'
expect_match "ps row for psrun" "$(sed -n 2p <<<"$OUT")" \
  "^${ps_id:0:12} +busybox +\"sleep 300\" +.+ ago +Up .+ +psrun\$"
expect_eq "ps lists only the running container" "$(wc -l <<<"$OUT")" 2
capture d ps -a --format '{{.Names}}'
expect_eq "ps -a lists both" "$(sort <<<"$OUT" | tr '\n' ' ')" "psrun web2 "
capture d ps -q
expect_eq "ps -q prints the short ID" "$OUT" "${ps_id:0:12}"
capture d ps -aq --no-trunc
expect_eq "ps -aq --no-trunc prints full IDs" "$(sort <<<"$OUT" | tr '\n' ' ')" "$(printf '%s\n' "$ps_id" "$web_id" | sort | tr '\n' ' ')"
capture d ps -a --filter name=psr --format '{{.Names}}'
expect_eq "ps --filter name=psr" "$OUT" "psrun"
capture d ps -a --filter status=exited --format '{{.Names}}'
expect_eq "ps --filter status=exited" "$OUT" "web2"
capture d ps -a --filter status=running --format '{{.Names}}'
expect_eq "ps --filter status=running" "$OUT" "psrun"
capture d ps -a --filter label=tier=front --format '{{.Names}}'
expect_eq "ps --filter label=tier=front" "$OUT" "psrun"
capture d ps -a --filter label=tier=back --format '{{.Names}}'
expect_eq "ps --filter label=tier=back matches nothing" "$OUT" ""
capture d ps -a --filter id="${web_id:0:12}" --format '{{.Names}}'
expect_eq "ps --filter id=<prefix>" "$OUT" "web2"
capture d ps -a --filter exited=137 --format '{{.Names}}'
expect_eq "ps --filter exited=137" "$OUT" "web2"
capture d ps -a -n 1 --format '{{.Names}}'
expect_eq "ps -n 1 shows the newest" "$OUT" "psrun"
capture d ps -a --filter since=web2 --format '{{.Names}}'
expect_eq "ps --filter since=web2: the one created after it" "$OUT" "psrun"
capture d ps -a --filter before=psrun --format '{{.Names}}'
expect_eq "ps --filter before=psrun: the one created before it" "$OUT" "web2"
expect_fail_with "ps --filter since= an unknown container" "No such container: nosuch" \
  d ps -a --filter since=nosuch
capture d ps -n 2 --format '{{.Names}}'
expect_eq "ps -n 2: the two newest, stopped ones included (no -a)" "$OUT" $'psrun\nweb2'
capture d ps -l --format '{{.Names}}'
expect_eq "ps -l: the newest, without -a" "$OUT" "psrun"
capture d ps -a --filter is-task=false --format '{{.Names}}'
expect_eq "ps --filter is-task=false: every container" "$(sort <<<"$OUT" | tr '\n' ' ')" "psrun web2 "
capture d ps -a --filter is-task=true --format '{{.Names}}'
expect_eq "ps --filter is-task=true: none (no swarm)" "$OUT:$RC" ":0"
d create --name pubx -p 18080:80 --expose 90 -v "$work:/hosttmp" busybox true >/dev/null
capture d ps -a --filter expose=90 --format '{{.Names}}'
expect_eq "ps --filter expose=90: a container only created has no ports yet, as with dockerd" "$OUT" ""
capture d ps -a --filter expose=80-85/tcp --format '{{.Names}}'
expect_eq "ps --filter expose=80-85/tcp: nor a range of them" "$OUT" ""
capture d ps -a --filter publish=18080 --format '{{.Names}}'
expect_eq "ps --filter publish=18080: not published while stopped" "$OUT:$RC" ":0"
capture d ps -a --filter volume=/hosttmp --format '{{.Names}}'
expect_eq "ps --filter volume=/hosttmp (mount destination)" "$OUT" "pubx"
d start pubx >/dev/null 2>&1 || true
d rm -f pubx >/dev/null
d run -d --name pubr -p 18081:80 busybox sleep 300 >/dev/null
capture d ps --filter publish=18081 --format '{{.Names}}'
expect_eq "ps --filter publish=18081: the running container publishing it" "$OUT" "pubr"
capture d ps --filter publish=18082 --format '{{.Names}}'
expect_eq "ps --filter publish=18082 matches nothing" "$OUT" ""
d rm -f pubr >/dev/null
capture d ps --format '{{.Names}} {{.Label "tier"}} {{.Command}}' --no-trunc
expect_eq "ps --format with labels and command" "$OUT" 'psrun front "sleep 300"'

# ---- kill -s, wait ----
usr1_id=$(d run -d --name usr1 busybox sh -c 'trap "echo got usr1; exit 5" USR1; echo ready; while true; do sleep 0.1; done' || true)
wait_until 10 logs_have usr1 ready || true
capture d kill -s USR1 usr1
expect_eq "kill -s USR1 usr1 prints usr1" "$OUT" "usr1"
capture d wait usr1
expect_eq "wait usr1 prints the exit code 5" "$OUT" "5"
capture d logs usr1
expect_eq "the USR1 trap ran" "$OUT" $'ready\ngot usr1'
capture d inspect -f '{{.State.Status}} {{.State.ExitCode}}' usr1
expect_eq "inspect after kill -s USR1" "$OUT" "exited 5"
expect_fail_with "kill of a stopped container fails with 'is not running'" "is not running" d kill usr1
expect_fail_with "kill -s with an unknown signal fails" "Invalid signal: NOSUCH" d kill -s NOSUCH psrun
# dockerd's signal names: real-time ones, IOT, POLL; numbers Linux lacks refused as dockerd does.
rt_id=$(d run -d --name rtsig --stop-signal SIGRTMIN+3 busybox sh -c \
  'trap "echo got rt" 37; trap "echo got iot" ABRT; echo ready; while true; do sleep 0.1; done')
wait_until 10 logs_have rtsig ready || true
expect_eq "--stop-signal SIGRTMIN+3 is accepted and kept" "$(d inspect -f '{{.Config.StopSignal}}' rtsig)" "SIGRTMIN+3"
capture d kill -s RTMIN+3 rtsig
expect_eq "kill -s RTMIN+3 prints the name" "$OUT:$RC" "rtsig:0"
wait_until 10 logs_have rtsig "got rt" || true
capture d kill -s SIGIOT rtsig
expect_eq "kill -s SIGIOT (ABRT) prints the name" "$OUT:$RC" "rtsig:0"
wait_until 10 logs_have rtsig "got iot" || true
capture d logs rtsig
expect_eq "the container got signal 37 (RTMIN+3) and then ABRT" "$OUT" $'ready\ngot rt\ngot iot'
capture d kill -s 99 rtsig
expect_eq "kill -s 99: dockerd's error" "$ERR" \
  "Error response from daemon: Cannot kill container: rtsig: The linux daemon does not support signal 99"
capture d kill nosuchbox
expect_eq "kill of a missing container: dockerd's error" "$ERR" \
  "Error response from daemon: Cannot kill container: nosuchbox: No such container: nosuchbox"
d rm -f rtsig >/dev/null

# ---- rm -f of a running container ----
capture d rm psrun
expect_eq "rm of a running container fails" "$RC" 1
expect_eq "rm of a running container: dockerd's message" "$ERR" \
  "Error response from daemon: You cannot remove a running container ${ps_id}. Stop the container before attempting removal or force remove"
capture d rm -f psrun
expect_eq "rm -f psrun prints psrun" "$OUT" "psrun"
capture d ps -a --format '{{.Names}}'
expect_eq "psrun gone after rm -f" "$(sort <<<"$OUT" | tr '\n' ' ')" "usr1 web2 "

# ---- prune ----
capture d container prune -f --filter label=nosuchlabel
expect_eq "container prune --filter label=<none has it>: nothing deleted" "$(grep -cE '^[0-9a-f]{64}$' <<<"$OUT" || true)" 0
capture d container prune -f --filter until=1h
expect_eq "container prune --filter until=1h: containers are younger, nothing deleted" "$RC:$(grep -cE '^[0-9a-f]{64}$' <<<"$OUT" || true)" "0:0"
capture d system prune -f --filter until=1h
expect_eq "system prune --filter until=1h succeeds" "$RC" 0
capture d container prune -f
expect_eq "container prune: first line" "$(sed -n 1p <<<"$OUT")" "Deleted Containers:"
expect_eq "container prune lists both stopped containers" "$(grep -E '^[0-9a-f]{64}$' <<<"$OUT" | sort | tr '\n' ' ')" \
  "$(printf '%s\n' "$web_id" "$usr1_id" | sort | tr '\n' ' ')"
expect_match "container prune: last line" "$(tail -n 1 <<<"$OUT")" '^Total reclaimed space: [0-9.]+k?M?G?B$'
capture d ps -aq
expect_eq "ps -a is empty after prune" "$OUT" ""

# ---- events ----
capture d run --name evt busybox true
capture d rm evt
sleep 1.1
events_until=$(($(date +%s) + 2))
capture d events --since "$events_since" --until "$events_until" --filter container=evt --filter type=container \
  --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}}'
expect_eq "events --since --until exits by itself" "$RC" 0
expect_eq "events: create, start, die, destroy for evt" "$(grep -E ' (create|start|die|destroy) ' <<<"$OUT")" \
  "$(printf 'container %s evt busybox\n' create start die destroy)"
sleep 1.1   # --until is in the past from here on: the stored events must still be replayed
capture d events --since "$events_since" --until "$events_until" --filter container=evt --filter event=die \
  --format '{{.Actor.Attributes.exitCode}} {{.ID}}'
expect_match "events (--until in the past): die carries exitCode=0 and the container ID" "$OUT" '^0 [0-9a-f]{64}$'
capture d events --since "$events_since" --until "$events_until"
expect_match "events (--until in the past): default format" "$(grep ' container create ' <<<"$OUT" | grep 'name=evt' || true)" \
  '^20[0-9-]{8}T[0-9:.]+Z container create [0-9a-f]{64} \(image=busybox, name=evt\)$'

d run -d --name evk busybox sleep 300 >/dev/null
d rm -f evk >/dev/null
sleep 1.1
capture d events --since "$events_since" --until "$(($(date +%s) + 1))" \
  --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}{{if eq .Type "network"}} {{.Actor.Attributes.container}}{{end}}{{if eq .Action "kill"}} {{.Actor.Attributes.signal}}{{end}}'
evt_id=$(d events --since "$events_since" --until "$(($(date +%s) + 1))" --filter container=evt --filter event=die --format '{{.ID}}')
expect_contains "events: run attaches (container attach)" "$OUT" "container attach evt"
expect_contains "events: network connect for the bridge" "$OUT" "network connect bridge $evt_id"
expect_contains "events: network disconnect for the bridge" "$OUT" "network disconnect bridge $evt_id"
expect_contains "events: rm -f of a running container kills it with signal 9" "$OUT" "container kill evk 9"

# ---- logs --details, --tail abc; wait with an unknown condition ----
d run --name lg busybox echo hi >/dev/null
capture d logs --details lg
expect_eq "logs --details: a leading space (no attributes)" "$OUT" " hi"
capture d logs --tail abc lg
expect_eq "logs --tail abc: every line, as dockerd" "$OUT:$RC" "hi:0"
capture berthd_netns_api POST "/containers/lg/wait?condition=bogus"
expect_contains "wait?condition=bogus: treated as the default" "$OUT" '"StatusCode":0'
d rm lg >/dev/null

# ---- restart policies ----
d run -d --name rs --restart on-failure:2 busybox sh -c 'exit 1' >/dev/null
restarts_done() { [ "$(d inspect -f '{{.RestartCount}} {{.State.Status}}' rs)" = "2 exited" ]; }
if wait_until 30 restarts_done; then pass "--restart on-failure:2 restarts twice, then stays exited"; else
  fail "--restart on-failure:2 restarts twice, then stays exited" "$(d inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' rs 2>&1)"; fi
sleep 2
capture d inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' rs
expect_eq "on-failure:2 stays at 2 restarts, exit 1" "$OUT" "2 exited 1 on-failure:2"
d run -d --name ra --restart always busybox sh -c 'echo started; sleep 1; exit 0' >/dev/null
restarted() { [ "$(d inspect -f '{{.RestartCount}}' ra)" -ge 1 ]; }
if wait_until 20 restarted; then pass "--restart always restarts after a clean exit"; else
  fail "--restart always restarts after a clean exit" "$(d inspect -f '{{.RestartCount}} {{.State.Status}}' ra 2>&1)"; fi
capture d logs ra
expect_match "--restart always: the log spans runs" "$OUT" $'^started\nstarted'
capture d stop -t 1 ra
sleep 2
capture d inspect -f '{{.State.Status}}' ra
expect_eq "--restart always: a stopped container stays stopped" "$OUT" "exited"
capture d rm -f rs ra
expect_eq "rm -f rs ra" "$OUT" $'rs\nra'

# ---- pause / unpause ----
d run -d --name pz busybox sleep 300 >/dev/null
capture d pause pz
expect_eq "pause pz prints pz" "$OUT" "pz"
capture d ps --filter name=pz --format '{{.Status}}'
expect_match "ps shows (Paused)" "$OUT" '^Up .*\(Paused\)$'
capture d inspect -f '{{.State.Status}} {{.State.Paused}}' pz
expect_eq "inspect: paused true" "$OUT" "paused true"
capture d ps --filter status=paused --format '{{.Names}}'
expect_eq "ps --filter status=paused" "$OUT" "pz"
expect_fail_with "pause twice fails" "is already paused" d pause pz
capture d exec pz true
expect_eq "exec into a paused container names it as typed (dockerd)" "$ERR" \
  "Error response from daemon: Container pz is paused, unpause the container before exec"
capture d rm pz
expect_eq "rm of a paused container: dockerd's refusal" "$RC:$ERR" \
  "1:Error response from daemon: You cannot remove a paused container $(d inspect -f '{{.Id}}' pz). Unpause and then stop the container before attempting removal or force remove"
capture d unpause pz
expect_eq "unpause pz prints pz" "$OUT" "pz"
capture d inspect -f '{{.State.Status}} {{.State.Paused}}' pz
expect_eq "inspect: running after unpause" "$OUT" "running false"
capture d rm -f pz
expect_eq "rm -f pz" "$OUT" "pz"

# ---- stop and restart as events show them; rm of a restarting container ----
stop_since=$(date +%s)
d run -d --name evs busybox sleep 300 >/dev/null
d stop evs >/dev/null
d start evs >/dev/null
d restart -t 1 evs >/dev/null
d rm -f evs >/dev/null
sleep 1.1
capture d events --since "$stop_since" --until "$(($(date +%s) + 1))" --filter container=evs \
  --filter type=container --format '{{.Action}} {{.Actor.Attributes.signal}}'
# sleep as PID 1 ignores SIGTERM: each stop ends with SIGKILL, as with dockerd.
expect_eq "stop and restart: kill per signal, die, stop (then start, restart), as dockerd" \
  "$(sed 's/ <no value>//' <<<"$OUT" | tr '\n' ',')" \
  "create,start,kill 15,kill 9,die,stop,start,kill 15,kill 9,die,stop,start,restart,kill 9,die,destroy,"
capture d events --until "$(($(date +%s) + 1))" --filter container=evs --filter event=stop --format '{{.Action}}'
expect_eq "events --until without --since replays the history, as dockerd" "$OUT" "stop
stop"
top_since=$(date +%s)
d run -d --name etx busybox sleep 300 >/dev/null
d top etx >/dev/null
d export etx >/dev/null
d rm -f etx >/dev/null
d create --name epr busybox true >/dev/null
d container prune -f >/dev/null
sleep 1.1
capture d events --since "$top_since" --until "$(($(date +%s) + 1))" --filter type=container \
  --filter event=top --filter event=export --filter event=prune \
  --format '{{.Action}} {{.Actor.Attributes.name}}{{.Actor.Attributes.reclaimed}}'
expect_eq "top, export and container prune are events too, as with dockerd" \
  "$(sed 's/<no value>//g' <<<"$OUT")" "top etx
export etx
prune 0"
commit_since=$(date +%s)
d run -d --name cmt busybox sleep 300 >/dev/null
d commit cmt committed-img >/dev/null
d rm -f cmt >/dev/null
d rmi committed-img >/dev/null
sleep 1.1
capture d events --since "$commit_since" --until "$(($(date +%s) + 1))" \
  --filter event=pause --filter event=tag --filter event=commit --filter event=unpause \
  --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
expect_eq "commit of a running container: pause, the image's tag, commit, unpause, as dockerd" "$OUT" \
  "container pause cmt
image tag committed-img:latest
container commit cmt
container unpause cmt"
d run -d --name fin busybox sleep 300 >/dev/null
d stop -t 0 fin >/dev/null
finished=$(d inspect -f '{{.State.FinishedAt}}' fin)
d start fin >/dev/null
expect_eq "a restarted container keeps its last FinishedAt, as dockerd" \
  "$(d inspect -f '{{.State.FinishedAt}}' fin)" "$finished"
d rm -f fin >/dev/null
# Its backoff doubles from 100 ms: after five restarts it waits 3.2 s, long enough to catch it.
d run -d --name rl --restart always busybox sh -c 'exit 2' >/dev/null
restarted_5() { [ "$(d inspect -f '{{.RestartCount}}' rl)" -ge 5 ]; }
restarting() { [ "$(d inspect -f '{{.State.Status}}' rl)" = restarting ]; }
if wait_until 20 restarted_5 && wait_until 10 restarting; then
  capture d rm rl
  expect_eq "rm of a restarting container: dockerd's refusal" "$RC:$ERR" \
    "1:Error response from daemon: You cannot remove a restarting container $(d inspect -f '{{.Id}}' rl). Stop the container before attempting removal or force remove"
else
  fail "rm of a restarting container: it never showed as restarting"
fi
capture d rm -f rl
expect_eq "rm -f of a restarting container" "$RC:$OUT" "0:rl"

capture d ps -aq
expect_eq "no containers left" "$OUT" ""
capture d info --format '{{.Containers}} {{.ContainersRunning}}'
expect_eq "info counts no containers" "$OUT" "0 0"

assert_finish
