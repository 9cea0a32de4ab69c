#!/usr/bin/env bash
# The machine manager's SSH client (libssh, machine/libssh_session.cpp) against a real SSH server:
# dropbear on 127.0.0.1 inside a network namespace this test creates, logging in as root with a key
# made for the test. root's authorized_keys comes from a private mount namespace (a temp home bound
# over /root for dropbear only), so the host's /root is never touched. Runs the hidden Catch2 cases
# tagged [.machine_ssh_integration] in berth_unit_tests inside the namespace.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/fixtures/assert.sh
build=${BERTH_BUILD_DIR:-build}
tests_bin=$build/tests/berth_unit_tests
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network and mount namespaces)"; exit 77; }
[ -x "$tests_bin" ] || { echo "missing $tests_bin: build berth_unit_tests"; exit 1; }
command -v dropbear > /dev/null || { echo "missing dropbear (dropbear-bin)"; exit 1; }

netns=berth-ssh-$(od -An -N4 -tx1 /dev/urandom | tr -d ' ')
work=$(mktemp -d /tmp/bsshXXXXXX)
dropbear_pid=
cleanup() {
  set +e
  [ -n "$dropbear_pid" ] && kill "$dropbear_pid" 2> /dev/null && wait "$dropbear_pid" 2> /dev/null
  ip netns delete "$netns" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$netns"
nsenter --net=/run/netns/"$netns" ip link set lo up

mkdir -p "$work/home/.ssh" "$work/scratch"
chmod 0700 "$work/home" "$work/home/.ssh"
dropbearkey -t ed25519 -f "$work/hostkey" > /dev/null 2>&1
host_key=$(dropbearkey -y -f "$work/hostkey" 2> /dev/null | grep '^ssh-ed25519 ' | cut -d' ' -f1,2)
ssh-keygen -q -t ed25519 -N '' -C berth-test -f "$work/key"
ssh-keygen -q -t ed25519 -N '' -C not-authorized -f "$work/badkey"
cp "$work/key.pub" "$work/home/.ssh/authorized_keys"
chmod 0600 "$work/home/.ssh/authorized_keys"

port=2222
# dropbear runs the sftp-server compiled into it; without one, transfers take the exec path only.
sftp=
[ -x /usr/lib/sftp-server ] && sftp=1
[ -n "$sftp" ] || echo "note: no /usr/lib/sftp-server here: only the exec transfer path is exercised"
nsenter --net=/run/netns/"$netns" unshare --mount --propagation private \
  sh -c 'mount --bind "$1" /root && exec dropbear -F -E -s -p 127.0.0.1:'"$port"' -r "$2" -P "$3"' \
  sh "$work/home" "$work/hostkey" "$work/dropbear.pid" 2> "$work/dropbear.log" &
dropbear_pid=$!

listening() { nsenter --net=/run/netns/"$netns" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2> /dev/null; }
if ! wait_until 10 listening; then
  fail "dropbear listens on 127.0.0.1:$port in the namespace" "$(cat "$work/dropbear.log")"
  assert_finish
fi
pass "dropbear listens on 127.0.0.1:$port in the namespace"

# Every SshSession call has a deadline of its own (20 s in these cases); if the run still outlives
# 120 s, one of them did not hold, and its stack is what the failure report needs.
run_cases() {
  nsenter --net=/run/netns/"$netns" env \
    BERTH_SSH_IT_PORT=$port BERTH_SSH_IT_KEY="$work/key" BERTH_SSH_IT_BADKEY="$work/badkey" \
    BERTH_SSH_IT_HOSTKEY="$host_key" BERTH_SSH_IT_DIR="$work/scratch" ${sftp:+BERTH_SSH_IT_SFTP=1} \
    "$tests_bin" "[.machine_ssh_integration]" > "$work/cases.out" 2>&1 &
  local pid=$! waited=0
  while kill -0 "$pid" 2> /dev/null && [ $waited -lt 1200 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2> /dev/null; then
    echo "HUNG past 120 s; stack:" >> "$work/cases.out"
    gdb -p "$(pgrep -P "$pid" || echo "$pid")" -batch -ex 'thread apply all bt' 2>&1 | grep '^#' >> "$work/cases.out"
    kill -9 "$pid" $(pgrep -P "$pid") 2> /dev/null
  fi
  wait "$pid"
}
capture run_cases
OUT=$(cat "$work/cases.out")
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"All tests passed"* ]]; then
  pass "libssh session: connect, host key, exec, deadlines, upload/download ($(grep -o '[0-9]* assertions' <<< "$OUT"))"
else
  fail "libssh session against dropbear" "$OUT" "$ERR" "dropbear: $(tail -20 "$work/dropbear.log")"
fi
assert_finish
