#!/usr/bin/env bash
# Security options against berthd with the real docker CLI: the built-in seccomp profile (Docker's
# policy) confines every container unless it is privileged or says seccomp=unconfined; a profile
# file given with --security-opt seccomp=FILE applies; no-new-privileges and systempaths=unconfined
# work; bad options are refused before anything is created. Needs root.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"
work=$BERTH_BERTHD_DIR/client
mkdir -p "$work"

# ---- the built-in profile ----
capture d info
expect_contains "info: seccomp listed with the built-in profile" "$OUT" $'  seccomp\n   Profile: builtin'
capture d run --rm busybox grep '^Seccomp:' /proc/self/status
expect_match "a plain container runs under a seccomp filter" "$OUT" '^Seccomp:[[:space:]]+2$'
# A user namespace needs no capability, so only seccomp stands between a container and one.
capture d run --rm busybox unshare -U true
expect_eq "unshare -U is refused" "$RC" 1
expect_eq "unshare -U: EPERM, as under dockerd" "$ERR" "unshare: unshare(0x10000000): Operation not permitted"
capture d run --rm --cap-add SYS_ADMIN busybox unshare -U echo inside
expect_eq "--cap-add SYS_ADMIN opens unshare" "$OUT$RC" "inside0"
capture d run --rm --network none busybox sh -c 'ping -c 1 -W 2 127.0.0.1 >/dev/null && echo pinged'
expect_eq "ordinary calls (raw sockets, setuid ping) still work" "$OUT" "pinged"

# glibc creates threads with clone3 and falls back to clone on ENOSYS: the host's python3 (glibc)
# runs in the container with the host's /usr bound in.
usr_binds=(-v /usr:/usr:ro -v /usr/lib:/lib:ro -v /usr/lib64:/lib64:ro)
capture d run --rm "${usr_binds[@]}" busybox /usr/bin/python3 -c \
  "import threading; t = threading.Thread(target=print, args=('thread ok',)); t.start(); t.join()"
expect_eq "glibc threads start (clone3 answers ENOSYS, clone is used)" "$OUT$RC" "thread ok0"
capture d run --rm "${usr_binds[@]}" busybox /usr/bin/python3 -c \
  "import ctypes, os; r = ctypes.CDLL(None, use_errno=True).syscall(435, 0, 0); print(r, os.strerror(ctypes.get_errno()))"
expect_eq "clone3 itself: ENOSYS" "$OUT" "-1 Function not implemented"

d run -d --name confined busybox sleep 600 >/dev/null
capture d exec confined grep '^Seccomp:' /proc/self/status
expect_match "exec processes share the container's filter" "$OUT" '^Seccomp:[[:space:]]+2$'
d rm -f confined >/dev/null

# ---- opting out ----
capture d run --rm --security-opt seccomp=unconfined busybox sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U echo inside'
expect_match "seccomp=unconfined: no filter" "$(sed -n 1p <<<"$OUT")" '^Seccomp:[[:space:]]+0$'
expect_eq "seccomp=unconfined: unshare -U works" "$(sed -n 2p <<<"$OUT")" "inside"
capture d run --rm --privileged busybox grep '^Seccomp:' /proc/self/status
expect_match "--privileged: no filter" "$OUT" '^Seccomp:[[:space:]]+0$'
d create --name opts --security-opt seccomp=unconfined --security-opt no-new-privileges busybox true >/dev/null
capture d inspect -f '{{json .HostConfig.SecurityOpt}}' opts
expect_eq "inspect: SecurityOpt as given" "$OUT" '["seccomp=unconfined","no-new-privileges"]'
d rm opts >/dev/null

# ---- a profile from a file ----
cat >"$work/no-mkdir.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO" },
    { "names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 16 }
  ]
}
EOF
capture d run --rm --security-opt "seccomp=$work/no-mkdir.json" busybox mkdir /x
expect_eq "profile file: mkdir refused" "$RC" 1
expect_eq "profile file: EPERM by default" "$ERR" "mkdir: can't create directory '/x': Operation not permitted"
capture d run --rm --security-opt "seccomp=$work/no-mkdir.json" busybox rmdir /mnt
expect_eq "profile file: errnoRet 16 is EBUSY" "$ERR" "rmdir: '/mnt': Device or resource busy"
capture d run --rm --security-opt "seccomp=$work/no-mkdir.json" busybox unshare -U echo inside
expect_eq "profile file replaces the built-in one (unshare allowed)" "$OUT" "inside"

# ---- no-new-privileges, systempaths ----
capture d run --rm --security-opt no-new-privileges busybox grep '^NoNewPrivs:' /proc/self/status
expect_match "no-new-privileges sets the flag" "$OUT" '^NoNewPrivs:[[:space:]]+1$'
capture d run --rm busybox grep '^NoNewPrivs:' /proc/self/status
expect_match "without it the flag is clear" "$OUT" '^NoNewPrivs:[[:space:]]+0$'
capture d run --rm busybox sh -c "grep -c ' /proc/sys ' /proc/self/mountinfo"
expect_eq "/proc/sys is a read-only mount by default" "$OUT" "1"
capture d run --rm --security-opt systempaths=unconfined busybox sh -c "grep -c ' /proc/sys ' /proc/self/mountinfo"
expect_eq "systempaths=unconfined: /proc/sys is not remounted" "$OUT" "0"

# ---- bad options create nothing ----
before=$(d ps -aq | wc -l)
capture d run --rm --security-opt foo=bar busybox true
expect_eq "unknown option: exit 125" "$RC" 125
expect_contains "unknown option: dockerd's words" "$ERR" 'invalid --security-opt 2: "foo=bar"'
capture d run --rm --security-opt no-new-privileges=maybe busybox true
expect_contains "bad boolean: named" "$ERR" 'invalid --security-opt 2: "no-new-privileges=maybe"'
echo '{"defaultAction": "SCMP_ACT_BOGUS"}' >"$work/bogus.json"
capture d run --rm --security-opt "seccomp=$work/bogus.json" busybox true
expect_eq "bad profile: exit 125" "$RC" 125
expect_contains "bad profile: the fault named" "$ERR" 'unknown action "SCMP_ACT_BOGUS"'
capture d run --rm --security-opt "seccomp=$work/absent.json" busybox true
expect_contains "missing profile file: the CLI says so" "$ERR" "opening seccomp profile ($work/absent.json) failed"
expect_eq "nothing was created by the refused runs" "$(d ps -aq | wc -l)" "$before"

assert_finish
