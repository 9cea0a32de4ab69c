#!/usr/bin/env bash
# docker exec of a process the runtime cannot start (no such command, not executable, bad working
# directory or user) fails as under dockerd: the runtime's message and exit code 126, attached or
# not, with or without a terminal; detached, the start request itself fails. Needs root.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"
tty_d() { berthd_netns_docker_tty "$@"; }

d run -d --name target busybox sleep 600 >/dev/null
prefix="OCI runtime exec failed: exec failed: unable to start container process:"

capture d exec target nosuchcmd
expect_eq "no such command: exit 126" "$RC" 126
# dockerd ends the message with \r\n, as a terminal line.
expect_eq "no such command: the runtime's words" "${OUT%$'\r'}" \
  "$prefix exec: \"nosuchcmd\": executable file not found in \$PATH: unknown"
capture d exec target /nonexist
expect_eq "no such file: exit 126" "$RC" 126
expect_contains "no such file: named" "$OUT" 'exec: "/nonexist": stat /nonexist: no such file or directory'
capture d exec target /etc/passwd
expect_eq "not executable: exit 126" "$RC" 126
expect_contains "not executable: permission denied" "$OUT" 'exec: "/etc/passwd": permission denied'
capture d exec -w /nonexist target pwd
expect_eq "missing working directory: exit 126" "$RC" 126
expect_contains "missing working directory: named" "$OUT" 'chdir to cwd ("/nonexist") set in config.json failed'
capture d exec -w relative target pwd
expect_eq "relative working directory: exit 126" "$RC" 126
expect_eq "relative working directory: runc's words, as dockerd passes them on" "${OUT%$'\r'}" \
  "OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown"
capture d exec -u nosuch target id
expect_eq "unknown user: exit 126" "$RC" 126
expect_eq "unknown user: named as dockerd names it" "${OUT%$'\r'}" \
  "unable to find user nosuch: no matching entries in passwd file"
capture d exec -i target nosuchcmd </dev/null
expect_eq "-i: exit 126" "$RC" 126
capture tty_d exec -t target nosuchcmd
expect_eq "-t: exit 126" "$RC" 126
expect_contains "-t: the message on the terminal" "$OUT" 'executable file not found in $PATH'
capture d exec -d target nosuchcmd
expect_eq "-d: the start request fails (exit 1)" "$RC" 1
expect_eq "-d: the daemon's error" "$ERR" \
  "Error response from daemon: $prefix exec: \"nosuchcmd\": executable file not found in \$PATH: unknown"

# The exec's record says what happened, and the container is untouched.
exec_id=$(berthd_netns_api POST /containers/target/exec -H 'Content-Type: application/json' \
  -d '{"Cmd":["nosuchcmd"],"AttachStdout":true}' | sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
berthd_netns_api POST "/exec/$exec_id/start" -H 'Content-Type: application/json' -d '{}' >/dev/null || true
capture berthd_netns_api GET "/exec/$exec_id/json"
expect_contains "exec inspect: ExitCode 126" "$OUT" '"ExitCode":126'
expect_contains "exec inspect: not running" "$OUT" '"Running":false'
capture d exec target echo still fine
expect_eq "a good exec afterwards works" "$OUT$RC" "still fine0"
capture d exec target sh -c 'exit 3'
expect_eq "a command's own exit code is kept" "$RC" 3

d rm -f target >/dev/null
assert_finish
