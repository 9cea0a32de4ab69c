#!/usr/bin/env bash
# Detaching from a container with a terminal keeps its stdin, as under dockerd: `docker run -it`
# (StdinOnce) then ctrl-p ctrl-q (or --detach-keys), and a later `docker attach` still types into
# the shell. A real end of a client's input still closes a StdinOnce container's stdin without a
# terminal (`echo hi | docker run -i --rm busybox cat` ends). The CLI is driven under a
# pseudo-terminal, by python3's pty module. Needs root.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"
work=$BERTH_BERTHD_DIR/client
mkdir -p "$work"

# Runs a command on a pseudo-terminal and plays a script against it, then prints all it wrote and
# exits with its status (99 when an expected output never came):
#   ptydrive.py STEP... -- CMD...    steps: wait:REGEX  send:TEXT (python escapes)  sleep:SECONDS
cat >"$work/ptydrive.py" <<'EOF'
import os, pty, re, select, sys, time

sep = sys.argv.index("--")
steps, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out = b""


def read_until(deadline, pattern=None):
    """Collects output until `pattern` shows (True) or the deadline passes (True without one)."""
    global out
    while time.time() < deadline:
        if pattern is not None and re.search(pattern, out):
            return True
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                data = b""
            if not data:
                return False
            out += data
    return pattern is None


ok = True
for step in steps:
    kind, _, arg = step.partition(":")
    if kind == "wait":
        if not read_until(time.time() + 10, arg.encode()):
            sys.stderr.write("timed out waiting for %r\n" % arg)
            ok = False
            break
    elif kind == "sleep":
        read_until(time.time() + float(arg))
    elif kind == "send":
        os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
deadline = time.time() + 10
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > deadline:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        status = 137 << 8
        break
    read_until(time.time() + 0.1)
# What the command wrote just before it ended may still wait in the terminal: read up to its EOF.
read_until(time.time() + 2)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status) if ok else 99)
EOF

# The docker CLI against berthd, on a pseudo-terminal: pty_d STEP... -- DOCKER_ARG...
pty_d() {
  local steps=()
  while [[ $1 != -- ]]; do
    steps+=("$1")
    shift
  done
  shift
  _berthd_client_env timeout --kill-after=5 30 python3 "$work/ptydrive.py" "${steps[@]}" -- docker "$@"
}
ctrl_p_q='send:\x10\x11'

# ---- run -it, detach, attach again ----
capture pty_d 'wait:# ' 'send:echo one-$((6*7))\r' 'wait:one-42' "$ctrl_p_q" -- run -it --name dt4 busybox sh
expect_eq "run -it: detaching with ctrl-p ctrl-q ends docker run with 0" "$RC" 0
expect_contains "run -it: the shell ran the typed command" "$OUT" "one-42"
capture d inspect -f '{{.State.Status}} {{.Config.StdinOnce}}' dt4
expect_eq "run -it: the container stays up after the detach (StdinOnce)" "$OUT" "running true"

capture pty_d 'sleep:0.5' 'send:echo back-$((6*7))\r' 'wait:back-42' "$ctrl_p_q" -- attach dt4
expect_eq "attach after a detach: ctrl-p ctrl-q again (exit 1, as docker)" "$RC" 1
expect_contains "attach after a detach: the shell still gets typed input" "$OUT" "back-42"
expect_contains "attach after a detach: the CLI reports the detach" "$OUT" "read escape sequence"
capture d logs dt4
expect_contains "attach after a detach: the command's output is in the log" "$OUT" "back-42"

# Custom keys, on attach and on run.
capture pty_d 'sleep:0.5' 'send:echo keys-$((6*7))\r' 'wait:keys-42' 'send:\x18x' -- attach --detach-keys ctrl-x,x dt4
expect_contains "attach --detach-keys ctrl-x,x: typed input arrives" "$OUT" "keys-42"
expect_contains "attach --detach-keys ctrl-x,x: detaches" "$OUT" "read escape sequence"
capture pty_d 'sleep:0.5' 'send:echo third-$((6*7))\r' 'wait:third-42' "$ctrl_p_q" -- attach dt4
expect_contains "attach after a --detach-keys detach: the shell still gets typed input" "$OUT" "third-42"

capture pty_d 'wait:# ' 'send:echo x1\r' 'wait:\nx1' 'send:\x18x' -- run -it --detach-keys ctrl-x,x --name dtx busybox sh
expect_eq "run -it --detach-keys ctrl-x,x: detaches with 0" "$RC" 0
capture pty_d 'sleep:0.5' 'send:echo x2-$((6*7))\r' 'wait:x2-42' "$ctrl_p_q" -- attach dtx
expect_contains "run -it --detach-keys: a later attach types into the shell" "$OUT" "x2-42"
capture d inspect -f '{{.State.Status}}' dtx
expect_eq "run -it --detach-keys: still running" "$OUT" "running"

# The engine watches the keys itself, as dockerd does, for API clients that send them through (the
# docker CLI filters its own): a raw attach that types ctrl-p ctrl-q is ended, stdin stays open.
cat >"$work/rawattach.py" <<'EOF2'
import re, socket, sys, time

sock_path, container, query = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX)
s.connect(sock_path)
s.settimeout(10)
s.sendall(("POST /containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1%s HTTP/1.1\r\n"
           "Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n"
           % (container, query)).encode())
got = b""
while b"\r\n\r\n" not in got:
    got += s.recv(4096)
print(got.split(b"\r\n")[0].decode())
if not got.startswith(b"HTTP/1.1 101"):
    head, _, body = got.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(body) < length:  # the body may come after the head
        body += s.recv(4096)
    print(body.decode("utf-8", "replace"))
    sys.exit(0)
time.sleep(0.3)
s.sendall(b"echo raw-$((6*7))\r")
out = b""
while b"raw-42" not in out:
    out += s.recv(4096)
s.sendall(b"\x10\x11")
try:
    while s.recv(4096):
        pass
    print("ended by the engine")
except socket.timeout:
    print("still attached")
EOF2
d run -dit --name rawk busybox sh >/dev/null
capture python3 "$work/rawattach.py" "$BERTH_BERTHD_SOCK" rawk ""
expect_eq "raw attach: ctrl-p ctrl-q sent through ends the session at the engine" "$OUT" \
  $'HTTP/1.1 101 UPGRADED\nended by the engine'
capture python3 "$work/rawattach.py" "$BERTH_BERTHD_SOCK" rawk ""
expect_eq "raw attach: after that detach the shell still reads typed input" "$(tail -1 <<<"$OUT")" \
  "ended by the engine"
capture python3 "$work/rawattach.py" "$BERTH_BERTHD_SOCK" rawk "&detachKeys=ctrl-%3F%3F"
expect_contains "raw attach with bad detachKeys: refused naming them" "$OUT" "Invalid detach keys"
expect_eq "raw attach: the container still runs" "$(d inspect -f '{{.State.Status}}' rawk)" "running"
capture berthd_netns_api POST /containers/rawk/exec -H 'Content-Type: application/json' \
  -d '{"Cmd": ["true"], "Tty": true, "DetachKeys": "bogus"}'
expect_contains "exec create with bad DetachKeys: dockerd's words" "$OUT" "Invalid escape keys (bogus) provided"
expect_eq "exec create with bad DetachKeys: status 400" "$(tail -1 <<<"$OUT")" "400"
d rm -f rawk >/dev/null

# The shell still ends on its own: exit typed on a later attach stops the container.
capture pty_d 'sleep:0.5' 'send:exit 3\r' -- attach dt4
expect_eq "attach: exit typed into the shell ends attach with its code" "$RC" 3
capture d inspect -f '{{.State.Status}} {{.State.ExitCode}}' dt4
expect_eq "attach: the container exited with the shell's code" "$OUT" "exited 3"

# ---- the end of piped input still closes StdinOnce stdin ----
capture d run -i --rm busybox cat <<<"hi"
expect_eq "echo hi | run -i --rm busybox cat prints hi" "$OUT" "hi"
expect_eq "echo hi | run -i --rm busybox cat ends with 0" "$RC" 0
capture d create -i --name si busybox cat
capture d start -ai si <<<"hello"
expect_eq "echo hello | start -ai (StdinOnce) prints hello" "$OUT" "hello"
expect_eq "echo hello | start -ai ends with 0" "$RC" 0

d rm -f dt4 dtx si >/dev/null 2>&1 || true
assert_finish
