#!/usr/bin/env bash
# What a careless or hostile client can send berthd: malformed JSON, unknown objects, name conflicts,
# unsupported API versions, a 1 GB request body, and image archives whose layers try to write outside the
# layer (../, absolute paths, symlinks and hard links that escape) or whose digests do not match. berthd
# must answer with the right status and a message, stay small, and write nothing outside its roots.
# Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"
work=$BERTH_BERTHD_DIR/client
api() { berthd_netns_api "$@"; }
# status and body of the last api call
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
message_of() { body_of "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["message"])' 2>/dev/null || echo "<not a JSON error body: $(body_of "$1" | head -c 200)>"; }
json=(-H 'Content-Type: application/json')
# Raw calls use API 1.41 (what docker-py 5 sends); the CLI checks elsewhere use 1.50.

# ---- malformed and wrong requests ----
capture api POST /v1.41/containers/create "${json[@]}" --data-binary '{"Image": "busybox",'
expect_eq "malformed JSON to /containers/create: 400" "$(status_of "$OUT")" 400
msg=$(message_of "$OUT")
expect_match "malformed JSON: a JSON {\"message\"} body" "$msg" '^[^<].+'
echo "    (message: $msg)"
capture api POST /v1.41/containers/create -H 'Content-Type: text/plain' --data-binary '{"Image": "busybox"}'
expect_eq "create with Content-Type text/plain: 400" "$(status_of "$OUT")" 400
expect_eq "create with Content-Type text/plain: dockerd's message" "$(message_of "$OUT")" \
  "Content-Type specified (text/plain) must be 'application/json'"
capture api POST /v1.41/containers/create -H 'Content-Type: application/json; charset=utf-8' --data-binary '{"Image": "busybox", "Cmd": ["true"]}'
expect_eq "create with application/json; charset=utf-8: 201" "$(status_of "$OUT")" 201
capture api POST /v1.41/containers/create "${json[@]}" --data-binary '{"Image": "busybox", "Cmd": ["true"], "HostConfig": {"PidMode": "container:nosuch"}}'
expect_eq "create with PidMode container:nosuch: 400 (a 404 would make the CLI pull)" "$(status_of "$OUT")" 400
expect_eq "create with PidMode container:nosuch: dockerd's message" "$(message_of "$OUT")" "No such container: nosuch"
capture api POST /v1.41/containers/create "${json[@]}" --data-binary '{"Image": 5}'
expect_eq "wrong JSON type (Image: 5): 400" "$(status_of "$OUT")" 400
capture api POST /v1.41/containers/create "${json[@]}" --data-binary '[1,2,3]'
expect_eq "JSON array instead of an object: 400" "$(status_of "$OUT")" 400
capture api POST /v1.41/containers/create "${json[@]}" --data-binary '{"Image": "busybox", "HostConfig": {"Memory": "lots"}}'
expect_eq "wrong nested type (HostConfig.Memory: \"lots\"): 400" "$(status_of "$OUT")" 400
capture api POST /v1.41/containers/create "${json[@]}" --data-binary '{"Image": "nosuchimage"}'
expect_eq "create with a missing image: 404" "$(status_of "$OUT")" 404
expect_eq "create with a missing image: message" "$(message_of "$OUT")" "No such image: nosuchimage:latest"
capture api GET /v1.41/containers/nosuch/json
expect_eq "unknown container: 404" "$(status_of "$OUT")" 404
expect_eq "unknown container: 'No such container: nosuch'" "$(message_of "$OUT")" "No such container: nosuch"
for call in "POST /v1.41/containers/nosuch/start" "POST /v1.41/containers/nosuch/stop" \
  "POST /v1.41/containers/nosuch/kill" "POST /v1.41/containers/nosuch/wait" "DELETE /v1.41/containers/nosuch" \
  "GET /v1.41/containers/nosuch/logs?stdout=1"; do
  # shellcheck disable=SC2086
  capture api $call
  expect_eq "$call: 404" "$(status_of "$OUT")" 404
done
expect_fail_with "docker rm nosuch: the CLI's message" "Error response from daemon: No such container: nosuch" d rm nosuch
capture d inspect nosuch
expect_eq "docker inspect nosuch: 'Error: No such object: nosuch'" "$ERR" "Error: No such object: nosuch"

capture d create --name dup busybox true
dup_id=$OUT
capture api POST '/v1.41/containers/create?name=dup' "${json[@]}" --data-binary '{"Image": "busybox"}'
expect_eq "conflicting name: 409" "$(status_of "$OUT")" 409
expect_eq "conflicting name: docker's message" "$(message_of "$OUT")" \
  "Conflict. The container name \"/dup\" is already in use by container \"$dup_id\". You have to remove (or rename) that container to be able to reuse that name."
expect_fail_with "docker create --name dup twice: the CLI shows the conflict" \
  "Error response from daemon: Conflict. The container name \"/dup\" is already in use" d create --name dup busybox true
capture api POST '/v1.41/containers/create?name=bad/name' "${json[@]}" --data-binary '{"Image": "busybox"}'
expect_eq "invalid container name: 400" "$(status_of "$OUT")" 400
expect_eq "invalid container name: docker's message" "$(message_of "$OUT")" \
  "Invalid container name (bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
capture d rm dup

capture api GET /v1.99/version
expect_eq "API version too new: 400" "$(status_of "$OUT")" 400
expect_eq "API version too new: message" "$(message_of "$OUT")" "client version 1.99 is too new. Maximum supported API version is 1.50"
capture api GET /v1.23/version
expect_eq "API version too old: 400" "$(status_of "$OUT")" 400
expect_eq "API version too old: message" "$(message_of "$OUT")" \
  "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
capture api GET /v1.41/no/such/endpoint
expect_eq "unknown endpoint: 404" "$(status_of "$OUT")" 404
capture api GET '/v1.41/containers/json?filters=%7Bbroken'
expect_eq "malformed filters: 400" "$(status_of "$OUT")" 400
{ printf '{"Image": "busybox", "Cmd": ["'; head -c 3000000 /dev/zero | tr '\0' a; printf '"]}'; } >"$work/big.json"
capture api POST /v1.41/containers/create "${json[@]}" --data-binary "@$work/big.json"
if [ "$(status_of "$OUT")" = 201 ] || [ "$(status_of "$OUT")" = 413 ]; then
  pass "a 3 MB create body is either accepted or refused with 413 ($(status_of "$OUT"))"
else
  fail "a 3 MB create body is either accepted or refused with 413" "$(head -c 300 <<<"$OUT")"
fi
d container prune -f >/dev/null 2>&1 || true

# ---- huge bodies ----
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$BERTH_BERTHD_PID/status"; }
rss_before=$(rss_kb)
# Content-Length: 1 GiB, then the body trickles: the answer must come from the headers alone.
capture timeout 60 python3 - "$BERTH_BERTHD_SOCK" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(15)
start = time.monotonic()
s.sendall(b"POST /v1.41/containers/create HTTP/1.1\r\nHost: api.moby.localhost\r\n"
          b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
try:
    s.sendall(b'{"Image": "busybox", "Cmd": ["' + b"a" * 65536)
except OSError:
    pass  # the server answered and closed already: read its answer below
data = b""
try:
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
print(status, "%.1f" % (time.monotonic() - start))
EOF
read -r big_status big_seconds <<<"${OUT:-none 99}"
expect_eq "Content-Length 1 GiB to /containers/create: 413" "$big_status" 413
expect_match "Content-Length 1 GiB: refused within 5 s (took ${big_seconds}s)" "$big_seconds" '^[0-4]\.'
# Chunked, 1 GiB of zeros as fast as the socket takes them: refused before it is all read.
capture timeout 120 python3 - "$BERTH_BERTHD_SOCK" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(30)
start = time.monotonic()
s.sendall(b"POST /v1.41/containers/create HTTP/1.1\r\nHost: api.moby.localhost\r\n"
          b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
chunk = b"%x\r\n" % (1 << 20) + b"\0" * (1 << 20) + b"\r\n"
sent = 0
try:
    while sent < (1 << 30):
        s.sendall(chunk)
        sent += 1 << 20
    s.sendall(b"0\r\n\r\n")
except OSError:
    pass  # the server closed on us: that is a refusal
data = b""
try:
    while b"\r\n\r\n" not in data:
        c = s.recv(65536)
        if not c:
            break
        data += c
except OSError:
    pass
status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
print(status, sent >> 20, "%.1f" % (time.monotonic() - start))
EOF
read -r chunked_status chunked_mb chunked_seconds <<<"${OUT:-none 0 99}"
expect_match "chunked 1 GiB body: refused with 413 or 400 (got $chunked_status after ${chunked_mb} MiB)" "$chunked_status" '^(413|400)$'
if [ "${chunked_mb:-1024}" -lt 1024 ]; then pass "chunked 1 GiB body: berthd stopped reading early (${chunked_mb} MiB)"; else
  fail "chunked 1 GiB body: berthd stopped reading early" "it read all ${chunked_mb} MiB"; fi
# (a plain `head -c 1G /dev/zero | curl --data-binary @-` is what a script would do)
capture bash -c "head -c 1G /dev/zero | curl -s --max-time 60 --unix-socket '$BERTH_BERTHD_SOCK' -o /dev/null -w '%{http_code}' \
  -H 'Content-Type: application/json' -T - -X POST http://api.moby.localhost/v1.41/containers/create"
expect_match "head -c 1G /dev/zero | curl -T - …/containers/create: refused (413 or 400)" "$OUT" '^(413|400)$'
rss_after=$(rss_kb)
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$BERTH_BERTHD_PID/status")
if [ "$rss_after" -lt 102400 ] && [ "$hwm" -lt 102400 ]; then
  pass "berthd's RSS stays under 100 MB (before ${rss_before} kB, after ${rss_after} kB, peak ${hwm} kB)"
else
  fail "berthd's RSS stays under 100 MB" "before ${rss_before} kB, after ${rss_after} kB, peak ${hwm} kB"
fi
capture d version --format '{{.Server.APIVersion}}'
expect_eq "berthd still answers after the huge bodies" "$OUT" "1.50"

# ---- hostile image archives ----
outside=$BERTH_BERTHD_DIR/outside
mkdir -p "$outside"
echo original >"$outside/victim"
capture python3 - "$work/evil" "$outside" <<'EOF'
# Writes one docker-archive per attack: a correct manifest and config (diff_ids match the layer), so the
# only thing wrong is what the layer does.
import hashlib, io, json, os, sys, tarfile
out, outside = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
up = "../" * 24   # more than enough to climb from any unpack dir to /

def member(name, kind=tarfile.REGTYPE, data=b"evil\n", link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime = kind, 0o644 if kind == tarfile.REGTYPE else 0o755, 1700000000
    if kind == tarfile.REGTYPE:
        ti.size = len(data)
        return ti, io.BytesIO(data)
    ti.linkname = link
    return ti, None

def layer(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        t.addfile(*member("ok.txt", data=b"fine\n"))
        for ti, f in members:
            t.addfile(ti, f)
    return buf.getvalue()

def archive(name, layer_bytes, diff_id=None):
    diff_id = diff_id or "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                         "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_dir = hashlib.sha256(layer_bytes).hexdigest()
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["evil:" + name],
                            "Layers": [layer_dir + "/layer.tar"]}]).encode()
    with tarfile.open(os.path.join(out, name + ".tar"), "w") as t:
        for path, data in ((config_name, config), (layer_dir + "/layer.tar", layer_bytes),
                           ("manifest.json", manifest)):
            ti = tarfile.TarInfo(path)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
            t.addfile(ti, io.BytesIO(data))

o = outside.lstrip("/")
archive("dotdot", layer([member(up + o + "/evil-dotdot")]))
archive("dotdot-inner", layer([member("a/../../" + up + o + "/evil-inner")]))
archive("absolute", layer([member(outside + "/evil-absolute")]))
archive("abs-symlink", layer([member("esc", tarfile.SYMTYPE, link=outside),
                              member("esc/evil-abs-symlink")]))
archive("rel-symlink", layer([member("up", tarfile.SYMTYPE, link=up + o),
                              member("up/evil-rel-symlink")]))
archive("hardlink", layer([member("hl", tarfile.LNKTYPE, link=up + o + "/victim")]))
archive("hardlink-abs", layer([member("hl", tarfile.LNKTYPE, link=outside + "/victim")]))
good = layer([member("bin/hello", data=b"hello\n")])
dot = io.BytesIO()
with tarfile.open(fileobj=dot, mode="w") as t:   # "./"-prefixed names, as `tar -C dir .` writes them
    for name in ("./", "./bin/", "./bin/hello", "./etc/", "./etc/link"):
        kind = tarfile.DIRTYPE if name.endswith("/") else tarfile.SYMTYPE if "link" in name else tarfile.REGTYPE
        ti, f = member(name, kind, data=b"hello\n", link="../bin/hello")
        t.addfile(ti, f)
archive("dot-slash", dot.getvalue())
archive("bad-digest", good, diff_id="sha256:" + "0" * 64)
archive("good", good)
print("ok")
EOF
expect_eq "hostile archives built" "$OUT" "ok"
# A control: a well-formed archive made the same way loads (so the refusals below are about the attack).
capture d load -i "$work/evil/good.tar"
expect_eq "control: a well-formed hand-made archive loads" "$OUT" "Loaded image: evil:good"
capture d load -i "$work/evil/dot-slash.tar"
expect_eq "control: a layer with ./-prefixed names and an inside relative symlink loads" "$OUT" "Loaded image: evil:dot-slash"
for name in dotdot dotdot-inner abs-symlink rel-symlink hardlink hardlink-abs; do
  capture d load -i "$work/evil/$name.tar"
  if [ "$RC" -ne 0 ] && [ -n "$ERR" ]; then
    pass "docker load of a layer with a $name escape is refused"
    echo "    (message: $ERR)"
  else
    fail "docker load of a layer with a $name escape is refused" "exit $RC; stdout: $OUT; stderr: $ERR"
  fi
done
# An absolute member name is confined to the layer (dockerd unpacks /x as x) or refused; never written.
capture d load -i "$work/evil/absolute.tar"
echo "    (docker load of an absolute member name: exit $RC: $OUT$ERR)"
capture ls -A "$outside"
expect_eq "nothing was written outside the data root" "$OUT" "victim"
expect_eq "the hard-link target is untouched" "$(cat "$outside/victim"):$(stat -c %h "$outside/victim")" "original:1"
capture d load -i "$work/evil/bad-digest.tar"
expect_eq "a layer whose digest does not match the config's diff_ids is refused" "$((RC != 0))" 1
expect_match "bad digest: the message names the mismatch" "$ERR" '(digest|diff|DiffID|diffID|sha256)'
capture d images --format '{{.Repository}}:{{.Tag}}'
expect_eq "no hostile image was registered" "$(sort <<<"$OUT" | grep -v -e '^evil:absolute$' | tr '\n' ' ')" "busybox:latest evil:dot-slash evil:good "
head -c 100000 /dev/urandom >"$work/garbage.tar"
capture d load -i "$work/garbage.tar"
expect_eq "docker load of random bytes fails" "$((RC != 0))" 1
if process_alive "$BERTH_BERTHD_PID"; then pass "berthd survived all of it"; else fail "berthd survived all of it"; fi

assert_finish
