#!/usr/bin/env bash
# `berth build` end to end: what the engine RECEIVES (the request line and the context tar, captured
# by a small recording engine on 127.0.0.1) for a context with a .dockerignore, a -f Dockerfile
# inside and outside the context, build args, labels, tags, and a context on stdin; how the build
# stream is shown (-q prints the ID, an error in the stream fails the command); and berthd's
# refusal (no /build yet) printed as the stock docker CLI prints it. Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"
# shellcheck source=../fixtures/berth-client.sh
source "$source_dir/tests/fixtures/berth-client.sh"

berth_client_init
command -v python3 >/dev/null || { echo "FAIL: python3 is needed for the recording engine"; exit 1; }
BERTH_TEST_NO_LOAD=1 berthd_test_setup

work=$BERTH_BERTHD_DIR/client/build
mkdir -p "$work"

# ---- the recording engine: answers /_ping, saves each POST /build's query and body ----
cat >"$work/recorder.py" <<'PY'
import http.server, json, os, sys
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def _head(self, code, ctype="application/json", length=None):
        self.send_response(code)
        self.send_header("Api-Version", "1.50")
        self.send_header("Content-Type", ctype)
        if length is not None: self.send_header("Content-Length", str(length))
        else: self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
    def do_HEAD(self):
        self._head(200, "text/plain", 0)
    def do_GET(self):
        self._head(200, "text/plain", 2); self.wfile.write(b"OK")
    def do_POST(self):
        body = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                chunk = self.rfile.read(size); self.rfile.readline()
                if size == 0: break
                body += chunk
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        n = len([f for f in os.listdir(out) if f.endswith(".tar")])
        open(os.path.join(out, "%d.tar" % n), "wb").write(body)
        open(os.path.join(out, "%d.req" % n), "w").write(
            self.path + "\n" + "X-Registry-Config: " + self.headers.get("X-Registry-Config", "") +
            "\nContent-Type: " + self.headers.get("Content-Type", "") + "\n")
        fail = "t=fails" in self.path
        quiet = "q=1" in self.path
        # As dockerd's legacy builder: with q=1 only the image ID is streamed.
        msgs = [] if quiet else [{"stream": "Step 1/1 : FROM busybox\n"}, {"stream": " ---> 1234567890ab\n"}]
        if fail:
            msgs.append({"errorDetail": {"message": "the build failed here"}, "error": "the build failed here"})
        else:
            msgs.append({"aux": {"ID": "sha256:" + "ab" * 32}})
            msgs.append({"stream": ("sha256:" + "ab" * 32 + "\n") if quiet else "Successfully built abababababab\n"})
        self._head(200)
        for m in msgs:
            data = (json.dumps(m) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
open(os.path.join(out, "port"), "w").write(str(srv.server_port))
srv.serve_forever()
PY
mkdir -p "$work/rec"
python3 "$work/recorder.py" "$work/rec" &
recorder_pid=$!
trap '_berthd_test_exit; kill $recorder_pid 2>/dev/null || true' EXIT
wait_until 10 test -s "$work/rec/port" || { echo "FAIL: the recording engine did not start"; exit 1; }
rec_host=tcp://127.0.0.1:$(cat "$work/rec/port")

rb() { berth_at "$rec_host" "$@"; }
# "name mode type[ -> target]" per member, as python's tarfile (an independent reader) sees them.
members() {
  python3 - "$1" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        kind = "dir" if m.isdir() else "link" if m.issym() else "file"
        print("%s %o %s%s" % (m.name, m.mode, kind, (" -> " + m.linkname) if m.issym() else ""))
PY
}
member_text() { python3 -c 'import sys,tarfile; print(tarfile.open(sys.argv[1]).extractfile(sys.argv[2]).read().decode(), end="")' "$1" "$2"; }
last() { ls "$work/rec"/*.req | sort -V | tail -1 | sed 's/\.req$//'; }

# ---- a context with a .dockerignore ----
ctx=$work/ctx
mkdir -p "$ctx/src" "$ctx/logs/deep" "$ctx/secret" "$ctx/docs" "$ctx/.git"
printf 'FROM busybox\nCOPY . /app\n' >"$ctx/Dockerfile"
printf '# comments are ignored\n**/*.log\n/secret\n.git\ndocs\n!docs/keep.md\nDockerfile\n.dockerignore\n' >"$ctx/.dockerignore"
echo 'print(1)' >"$ctx/src/app.py"
printf '#!/bin/sh\necho hi\n' >"$ctx/run.sh"; chmod 0755 "$ctx/run.sh"
echo x >"$ctx/top.log"; echo x >"$ctx/logs/deep/a.log"; echo key >"$ctx/secret/key.pem"
echo keep >"$ctx/docs/keep.md"; echo drop >"$ctx/docs/drop.md"; echo ref >"$ctx/.git/HEAD"
ln -s ../../etc/passwd "$ctx/src/escape"

capture rb build -t app:1 -t app:latest --build-arg A=1 --label l=v --target final --no-cache --pull "$ctx"
expect_eq "build against the recorder exits 0" "$RC" 0
expect_contains "build prints the context size line" "$OUT" "Sending build context to Docker daemon"
expect_contains "build shows the engine's stream" "$OUT" $'Step 1/1 : FROM busybox\n ---> 1234567890ab\nSuccessfully built abababababab'
req=$(last)
expect_eq "build: docker's query (sorted keys, repeated t, JSON args)" "$(head -1 "$req.req")" \
  '/v1.50/build?buildargs=%7B%22A%22%3A%221%22%7D&dockerfile=Dockerfile&labels=%7B%22l%22%3A%22v%22%7D&nocache=1&pull=1&t=app%3A1&t=app%3Alatest&target=final&version=1'
expect_contains "build: X-Registry-Config as docker sends it" "$(cat "$req.req")" "X-Registry-Config: e30="
expect_contains "build: body is a tar" "$(cat "$req.req")" "Content-Type: application/x-tar"
listing=$(members "$req.tar")
expect_contains "context: Dockerfile sent although .dockerignore names it" "$listing" "Dockerfile 644 file"
expect_contains "context: .dockerignore sent although it names itself" "$listing" ".dockerignore 644 file"
expect_contains "context: executable mode kept" "$listing" "run.sh 755 file"
expect_contains "context: kept source file" "$listing" "src/app.py 644 file"
expect_contains "context: symlink sent as a link, not followed" "$listing" "src/escape 777 link -> ../../etc/passwd"
expect_contains "context: exception re-includes docs/keep.md" "$listing" "docs/keep.md 644 file"
expect_not_contains "context: **/*.log excludes top.log" "$listing" "top.log"
expect_not_contains "context: **/*.log excludes logs/deep/a.log" "$listing" "a.log"
expect_not_contains "context: /secret excluded" "$listing" "secret"
expect_not_contains "context: .git excluded" "$listing" ".git/"
expect_not_contains "context: docs/drop.md excluded" "$listing" "drop.md"
expect_not_contains "context: no absolute or parent names" "$(members "$req.tar" | cut -d' ' -f1)" ".."
expect_eq "context: file content arrives intact" "$(member_text "$req.tar" src/app.py)" "print(1)"

# ---- -q prints only the image ID; --iidfile writes it ----
capture rb build -q --iidfile "$work/iid" "$ctx"
expect_eq "build -q prints only the image ID" "$OUT:$RC" "sha256:$(printf 'ab%.0s' $(seq 32)):0"
expect_eq "build --iidfile writes the aux ID" "$(cat "$work/iid")" "sha256:$(printf 'ab%.0s' $(seq 32))"
expect_contains "build -q sends q=1" "$(head -1 "$(last).req")" "&q=1&"

# ---- -f inside the context (relative to the current directory) and outside it ----
mkdir -p "$ctx/build"; printf 'FROM busybox\n' >"$ctx/build/Dockerfile.dev"
capture bash -c "cd '$ctx' && DOCKER_HOST='$rec_host' '$berth_bin' build -f build/Dockerfile.dev ."
expect_eq "build -f inside the context exits 0" "$RC" 0
expect_contains "build -f inside: dockerfile= names it relative to the context" "$(head -1 "$(last).req")" "dockerfile=build%2FDockerfile.dev"
printf 'FROM busybox\nRUN outside\n' >"$work/Outside.Dockerfile"
capture rb build -f "$work/Outside.Dockerfile" "$ctx"
expect_eq "build -f outside the context exits 0" "$RC" 0
req=$(last)
name=$(head -1 "$req.req" | sed -n 's/.*dockerfile=\(%2Edockerfile\.[0-9a-f]*\|\.dockerfile\.[0-9a-f]*\).*/\1/p' | sed 's/%2E/./')
expect_match "build -f outside: sent under docker's random name" "$name" '^\.dockerfile\.[0-9a-f]{20}$'
expect_eq "build -f outside: its content is in the tar" "$(member_text "$req.tar" "$name")" $'FROM busybox\nRUN outside'
expect_contains "build -f outside: the random name is added to .dockerignore" "$(member_text "$req.tar" .dockerignore)" "$name"

# ---- a Dockerfile on stdin as the whole context ----
capture rb build -t stdin:1 - <<<'FROM busybox'
expect_eq "build - (Dockerfile on stdin) exits 0" "$RC" 0
expect_eq "build -: the tar holds only the Dockerfile" "$(members "$(last).tar")" "Dockerfile 644 file"
# ...and a tar on stdin is sent as it is
tar -C "$ctx" -cf "$work/ctx.tar" Dockerfile src
capture rb build - <"$work/ctx.tar"
expect_eq "build - (tar on stdin) sends the tar unchanged" "$(cmp -s "$work/ctx.tar" "$(last).tar" && echo same)" "same"

# ---- errors ----
capture rb build -t fails "$ctx"
expect_eq "an error in the build stream exits 1" "$RC" 1
expect_eq "the stream's error is printed as docker prints it" "$ERR" "the build failed here"
capture rb build "$work/nosuchdir"
expect_eq "build of a missing context exits 1" "$RC:$ERR" "1:unable to prepare context: path \"$work/nosuchdir\" not found"
capture rb build -t Bad:1 "$ctx"
expect_eq "build -t with upper case exits 1" "$RC" 1
expect_contains "build -t with upper case: docker's message" "$ERR" 'invalid reference format: repository name (library/Bad) must be lowercase'

# ---- berthd has no builder yet: its refusal is shown as docker shows it ----
capture b build "$ctx"
b_out=$OUT b_err=$ERR b_rc=$RC
capture d build "$ctx"
expect_eq "build against berthd exits 1 like docker" "$b_rc:$RC" "1:1"
expect_eq "build against berthd: stdout equals docker's" "$b_out" "$OUT"
expect_eq "build against berthd: the error equals docker's (after its legacy-builder notice)" \
  "$b_err" "$(grep -v -e '^DEPRECATED' -e '^  ' -e '^$' <<<"$ERR")"

assert_finish
