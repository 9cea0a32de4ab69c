#!/usr/bin/env bash
# Live restore: containers survive berthd being killed (-9) or stopped (SIGTERM) and restarted on the
# same roots. Their logs keep growing without gaps (the shim writes them), attach and logs -f work after
# the restart, and a container that exited while berthd was down reports its exit code. Needs root.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"

berthd_test_setup "$@"
d() { berthd_netns_docker "$@"; }
work=$BERTH_BERTHD_DIR/client
log_lines() { d logs "$1" 2>/dev/null | wc -l; }
gaps() { awk '$0 != "line" NR-1 { print "gap at line " NR ": " $0; exit }'; }
logs_have() { d logs "$1" 2>&1 | grep -qx -- "$2"; }

d run -d --name lines busybox sh -c 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done' >/dev/null
d run -d --name nonet --network none busybox sh -c 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done' >/dev/null
d run -d --name seven busybox sh -c 'echo started; sleep 2; exit 7' >/dev/null
wait_until 10 logs_have lines line2 || true
pid_before=$(d inspect -f '{{.State.Pid}}' lines)
started_before=$(d inspect -f '{{.State.StartedAt}}' lines)
ip_before=$(d inspect -f '{{.NetworkSettings.IPAddress}}' lines)
lines_before=$(log_lines lines)
capture d ps --format '{{.Names}}'
expect_eq "before the crash: three containers run" "$(sort <<<"$OUT" | tr '\n' ' ')" "lines nonet seven "

# ---- berthd killed with -9; one container exits while it is down ----
berthd_netns_kill9
if process_alive "$pid_before"; then pass "kill -9 of berthd leaves the container process running"; else
  fail "kill -9 of berthd leaves the container process running"; fi
sleep 4
if berthd_netns_restart; then pass "berthd restarts on the same roots after kill -9"; else
  fail "berthd restarts on the same roots after kill -9"; assert_finish; exit 1; fi

capture d ps --format '{{.Names}}'
expect_eq "after restart: lines and nonet still run, seven does not" "$(sort <<<"$OUT" | tr '\n' ' ')" "lines nonet "
capture d inspect -f '{{.State.Status}} {{.State.Pid}} {{.State.StartedAt}} {{.RestartCount}}' lines
expect_eq "after restart: same process, same start time, no restart" "$OUT" "running $pid_before $started_before 0"
capture d inspect -f '{{.NetworkSettings.IPAddress}}' lines
expect_eq "after restart: same IP address" "$OUT" "$ip_before"
capture d inspect -f '{{.State.Status}} {{.State.ExitCode}}' seven
expect_eq "a container that exited while berthd was down shows exited 7" "$OUT" "exited 7"
capture d ps -a --filter name=seven --format '{{.Status}}'
expect_match "ps -a shows seven as Exited (7)" "$OUT" '^Exited \(7\) '
capture d wait seven
expect_eq "wait seven prints 7" "$OUT" "7"
capture d logs seven
expect_eq "logs of seven are complete" "$OUT" "started"

sleep 1
capture d logs lines
lines_after=$(wc -l <<<"$OUT")
if [ "$lines_after" -gt "$((lines_before + 15))" ]; then
  pass "logs kept growing while berthd was down ($lines_before before, $lines_after after ~5 s)"
else
  fail "logs kept growing while berthd was down" "$lines_before lines before, $lines_after after"
fi
expect_eq "logs have no gap across the restart" "$(gaps <<<"$OUT")" ""
sleep 1
if [ "$(log_lines lines)" -gt "$lines_after" ]; then pass "logs keep growing after the restart"; else
  fail "logs keep growing after the restart" "$(log_lines lines) lines"; fi

d logs -f --tail 0 lines >"$work/follow.txt" 2>&1 &
follow_pid=$!
sleep 2
kill "$follow_pid" 2>/dev/null || true
wait "$follow_pid" 2>/dev/null || true
capture cat "$work/follow.txt"
expect_match "logs -f after the restart streams new lines" "$OUT" $'^line[0-9]+\nline[0-9]+\nline[0-9]+'

d attach --no-stdin --sig-proxy=false lines >"$work/attach.txt" 2>&1 &
attach_pid=$!
sleep 2
if process_alive "$attach_pid"; then pass "attach after the restart stays attached"; else
  fail "attach after the restart stays attached" "$(cat "$work/attach.txt")"; fi
kill "$attach_pid" 2>/dev/null || true
wait "$attach_pid" 2>/dev/null || true
capture cat "$work/attach.txt"
expect_match "attach after the restart streams the container's output" "$OUT" $'^line[0-9]+\nline[0-9]+\nline[0-9]+'
capture d inspect -f '{{.State.Status}}' lines
expect_eq "detaching (client killed) leaves the container running" "$OUT" "running"

capture d run --rm busybox echo after-restart
expect_eq "new containers run after the restart" "$OUT" "after-restart"

# ---- graceful stop (SIGTERM) and start: containers keep running too ----
if berthd_netns_restart; then pass "berthd restarts after SIGTERM"; else
  fail "berthd restarts after SIGTERM"; assert_finish; exit 1; fi
capture d inspect -f '{{.State.Status}} {{.State.Pid}}' lines
expect_eq "SIGTERM + start: lines still runs as the same process" "$OUT" "running $pid_before"
capture d logs lines
expect_eq "SIGTERM + start: logs still without gaps" "$(gaps <<<"$OUT")" ""

# ---- the restored containers are fully controllable ----
capture d stop -t 1 lines
expect_eq "stop a restored container" "$OUT" "lines"
capture d inspect -f '{{.State.Status}} {{.State.ExitCode}}' lines
expect_match "restored container stopped: exited 137/143" "$OUT" '^exited (137|143)$'
if process_alive "$pid_before"; then fail "the restored container's process is gone after stop"; else
  pass "the restored container's process is gone after stop"; fi
capture d kill nonet
expect_eq "kill a restored container" "$OUT" "nonet"
capture d wait nonet
expect_eq "wait for a restored container after kill" "$OUT" "137"
capture d start lines
expect_eq "start the restored container again" "$OUT" "lines"
# ---- SIGTERM does not wait on sessions whose client vanished, nor on an attach whose start failed ----
d run -d --name quiet busybox sleep 300 >/dev/null
quiet_pid=$(d inspect -f '{{.State.Pid}}' quiet)
berthd_netns_docker attach quiet >/dev/null 2>&1 &
attach_client=$!
berthd_netns_docker exec -i quiet sleep 200 </dev/zero >/dev/null 2>&1 &
exec_client=$!
capture d run --name failed busybox nosuchcommand
expect_eq "an attached run whose start fails: exit 127" "$RC" 127
sleep 1
# The docker clients themselves (the jobs are the shells around them), as a crash would end them.
pkill -9 -f 'docker attach quiet' || true
pkill -9 -f 'docker exec -i quiet' || true
wait "$attach_client" "$exec_client" 2>/dev/null || true
kill -TERM "$BERTH_BERTHD_PID"
if wait_until 3 bash -c "! kill -0 $BERTH_BERTHD_PID"; then
  pass "SIGTERM with sessions of vanished clients: berthd exits within 3 s"
else
  fail "SIGTERM with sessions of vanished clients: berthd exits within 3 s"
fi
if process_alive "$quiet_pid"; then pass "the attached container keeps running"; else
  fail "the attached container keeps running"; fi
if berthd_netns_restart; then pass "berthd starts again after that"; else
  fail "berthd starts again after that"; assert_finish; exit 1; fi

capture d rm -f lines nonet seven quiet failed
expect_eq "rm -f all" "$OUT" $'lines\nnonet\nseven\nquiet\nfailed'
capture d ps -aq
expect_eq "no containers left" "$OUT" ""

assert_finish
