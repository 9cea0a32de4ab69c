#!/usr/bin/env bash
# The Docker SDK for Python (`docker` package, docker-py) against berthd: ping, version, images,
# containers.run (attached output), create + start + wait + logs + remove, and errors as SDK exceptions.
# Needs root and python3 with the docker package; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"

if ! python3 -c 'import docker' 2>/dev/null; then
  echo "FAIL: python3 has no 'docker' package (Debian: python3-docker)"
  exit 1
fi
berthd_test_setup

# Each step prints "name=repr(value)"; an exception prints "name=EXC <class>: <message>" and the script
# goes on, so every step is reported.
capture timeout 300 python3 - "$BERTH_BERTHD_HOST" <<'EOF'
import sys
import docker

base_url = sys.argv[1]

def step(name, fn):
    try:
        value = fn()
    except Exception as e:  # report, keep going
        value = "EXC %s: %s" % (type(e).__name__, e)
        print("%s=%s" % (name, value), flush=True)
        return None
    print("%s=%r" % (name, value), flush=True)
    return value

c = docker.DockerClient(base_url=base_url, timeout=60)
auto = docker.DockerClient(base_url=base_url, version="auto", timeout=60)
step("ping", lambda: c.ping())
step("api_version", lambda: auto.api.api_version)
step("server_api", lambda: c.version()["ApiVersion"])
step("images", lambda: sorted(t for i in c.images.list() for t in i.tags))
step("image_cmd", lambda: c.images.get("busybox").attrs["Config"]["Cmd"])
step("containers_empty", lambda: c.containers.list(all=True))
step("run_echo", lambda: c.containers.run("busybox", ["echo", "hi"], remove=True))
step("run_none", lambda: c.containers.run("busybox", "echo none", network_mode="none", remove=True))
step("after_run", lambda: c.containers.list(all=True))

ct = step("create", lambda: c.containers.create("busybox", ["sh", "-c", "echo out; echo err >&2; exit 4"],
                                                 name="sdk1", labels={"from": "sdk"}))
if ct is not None:
    step("created_status", lambda: (ct.reload(), ct.status)[1])
    step("start", lambda: ct.start())
    step("wait", lambda: ct.wait(timeout=60)["StatusCode"])
    step("logs", lambda: ct.logs())
    step("logs_stdout", lambda: ct.logs(stdout=True, stderr=False))
    step("exited_status", lambda: (ct.reload(), ct.status, ct.attrs["State"]["ExitCode"])[1:])
    step("list_label", lambda: [x.name for x in c.containers.list(all=True, filters={"label": "from=sdk"})])
    step("remove", lambda: ct.remove())
step("after_remove", lambda: c.containers.list(all=True))

d = step("run_detach", lambda: c.containers.run("busybox", ["sleep", "300"], detach=True, name="sdk2"))
if d is not None:
    step("detached_running", lambda: [x.name for x in c.containers.list()])
    step("stop", lambda: d.stop(timeout=1))
    step("stopped_exit", lambda: (d.reload(), d.attrs["State"]["ExitCode"])[1])
    step("remove_force", lambda: d.remove(force=True))

step("not_found", lambda: c.containers.get("nosuch"))
step("image_not_found", lambda: c.images.get("nosuch:1"))
step("run_fails", lambda: c.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 2"], remove=True))
step("final", lambda: c.containers.list(all=True))
EOF
echo "$OUT"
[ -z "$ERR" ] || echo "python stderr: $ERR"
expect_eq "python script ran to the end" "$RC" 0
value() { sed -n "s/^$1=//p" <<<"$OUT"; }
expect_eq "ping() is True" "$(value ping)" "True"
expect_eq "version='auto' negotiates 1.50" "$(value api_version)" "'1.50'"
expect_eq "version()['ApiVersion']" "$(value server_api)" "'1.50'"
expect_eq "images.list() tags" "$(value images)" "['busybox:latest']"
expect_eq "images.get('busybox') Config.Cmd" "$(value image_cmd)" "['sh']"
expect_eq "containers.list(all=True) on a fresh engine" "$(value containers_empty)" "[]"
expect_eq "containers.run(busybox, echo hi) returns b'hi\\n'" "$(value run_echo)" "b'hi\\n'"
expect_eq "containers.run(network_mode=none)" "$(value run_none)" "b'none\\n'"
expect_eq "run with remove=True leaves nothing" "$(value after_run)" "[]"
expect_match "containers.create returns a Container" "$(value create)" '^<Container: [0-9a-f]{10,12}>$'
expect_eq "created container's status" "$(value created_status)" "'created'"
expect_eq "start()" "$(value start)" "None"
expect_eq "wait() StatusCode" "$(value wait)" "4"
expect_eq "logs() has stdout and stderr" "$(value logs)" "b'out\\nerr\\n'"
expect_eq "logs(stderr=False)" "$(value logs_stdout)" "b'out\\n'"
expect_eq "exited status and code" "$(value exited_status)" "('exited', 4)"
expect_eq "list(filters={label: from=sdk})" "$(value list_label)" "['sdk1']"
expect_eq "remove()" "$(value remove)" "None"
expect_eq "nothing left after remove" "$(value after_remove)" "[]"
expect_match "run(detach=True) returns a Container" "$(value run_detach)" '^<Container: [0-9a-f]{10,12}>$'
expect_eq "detached container is running" "$(value detached_running)" "['sdk2']"
expect_eq "stop(timeout=1)" "$(value stop)" "None"
expect_match "stopped container's exit code" "$(value stopped_exit)" '^(137|143)$'
expect_eq "remove(force=True)" "$(value remove_force)" "None"
expect_match "containers.get(nosuch) raises NotFound" "$(value not_found)" '^EXC NotFound: 404 Client Error.*No such container: nosuch'
expect_match "images.get(nosuch:1) raises ImageNotFound" "$(value image_not_found)" '^EXC ImageNotFound: 404 Client Error.*No such image: nosuch:1'
expect_match "run of a failing command raises ContainerError with its stderr" "$(value run_fails)" \
  "^EXC ContainerError: Command '\\['sh', '-c', 'echo bad >&2; exit 2'\\]' in image 'busybox' returned non-zero exit status 2: b'bad\\\\n'\$"
expect_eq "nothing left at the end" "$(value final)" "[]"

assert_finish
