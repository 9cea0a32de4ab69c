#!/usr/bin/env bash
# The json-file driver's --log-opt values, through the real docker CLI. Expected values are what
# Debian's dockerd 20.10 writes and prints for the same commands: rotation by decimal max-size,
# labels/env/tag as each entry's "attrs" and in `logs --details`, compress (gzipped rotated files
# that logs and logs -f read in order), and the refusals of values dockerd refuses.
# Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/berthd-test-script.sh
source "$source_dir/tests/fixtures/berthd-test-script.sh"

sixty_lines='for i in $(seq 1 60); do echo "line number $i"; done'
without_times() { sed 's/"time":"[^"]*"/"time":T/'; }

# ---- rotation: max-size is decimal (1k = 1000 bytes), as go-units' FromHumanSize reads it ----
d run --name rot --log-opt max-size=1k --log-opt max-file=2 busybox sh -c "$sixty_lines" >/dev/null
log=$(d inspect -f '{{.LogPath}}' rot)
expect_eq "max-size=1k max-file=2: dockerd's 24 lines are kept" "$(d logs rot | wc -l)" 24
expect_eq "... from line 37 on" "$(d logs rot | head -1)" "line number 37"
expect_eq "... in two files of 12 entries" "$(wc -l <"$log") $(wc -l <"$log.1")" "12 12"
d rm rot >/dev/null

# ---- attrs: listed labels and variables, a tag; Go's JSON escapes; --details ----
d run --name la -l com.a=1 -l 'b=x&y' -l other=o -e E1=v1 -e 'E2=a b<c>' \
  --log-opt labels=com.a,b,nosuch --log-opt env=E1,E2,E3 --log-opt 'tag={{.Name}}/{{.ID}}' \
  busybox echo hi >/dev/null
short_id=$(d inspect -f '{{.Id}}' la | cut -c1-12)
expect_eq "labels, env and tag are each entry's attrs, sorted, as Go writes them" \
  "$(without_times <"$(d inspect -f '{{.LogPath}}' la)")" \
  '{"log":"hi\n","stream":"stdout","attrs":{"E1":"v1","E2":"a b\u003cc\u003e","b":"x\u0026y","com.a":"1","tag":"la/'"$short_id"'"},"time":T}'
expect_eq "logs --details: the attrs, query-escaped, before the text" "$(d logs --details la)" \
  "E1=v1,E2=a+b%3Cc%3E,b=x%26y,com.a=1,tag=la%2F$short_id hi"
expect_match "logs --details -t: the timestamp first" "$(d logs --details -t la)" \
  "^20[0-9T:.-]+Z E1=v1,.* hi$"
d rm la >/dev/null
d run --name lr -l com.a=1 -l com.b=2 -l x=3 -e AA=1 -e AB=2 -e C=3 \
  --log-opt 'labels-regex=^com' --log-opt 'env-regex=^A' busybox echo hi >/dev/null
expect_contains "labels-regex and env-regex pick by name" \
  "$(cat "$(d inspect -f '{{.LogPath}}' lr)")" '"attrs":{"AA":"1","AB":"2","com.a":"1","com.b":"2"}'
d rm lr >/dev/null
d run --name lt --log-opt 'tag={{.ImageName}}|{{.ImageID}}|{{.DaemonName}}|{{.Command}}' \
  busybox echo hi >/dev/null
expect_contains "tag: image name, the first 12 of its ID, the daemon, the command" \
  "$(cat "$(d inspect -f '{{.LogPath}}' lt)")" \
  "\"tag\":\"busybox|$(d inspect -f '{{.Image}}' lt | cut -c1-12)|docker|echo hi\""
d rm lt >/dev/null
d run --name ln busybox echo hi >/dev/null
expect_eq "logs --details without attrs: a leading space" "$(d logs --details ln)" " hi"
d rm ln >/dev/null

# ---- values dockerd refuses when the container starts ----
refused() {  # refused NAME EXPECTED-MESSAGE LOG-OPT...
  local name=$1 message=$2
  shift 2
  local opts=() o
  for o in "$@"; do opts+=(--log-opt "$o"); done
  capture d run --name bad "${opts[@]}" busybox echo hi
  expect_eq "$name: run exits 125" "$RC" 125
  expect_contains "$name: dockerd's words" "$ERR" \
    "docker: Error response from daemon: failed to initialize logging driver: $message"
  expect_eq "$name: the container stays created, with no output" \
    "$(d inspect -f '{{.State.Status}}' bad) $(d logs bad | wc -l)" "created 0"
  d rm bad >/dev/null
}
refused "max-size=lots" "invalid size: 'lots'" max-size=lots
refused "max-size=0" "max-size must be a positive number" max-size=0
refused "max-size=1e3" "invalid size: '1e3'" max-size=1e3
refused "max-file=0" "max-file cannot be less than 1" max-file=0
refused "max-file=x" 'strconv.Atoi: parsing "x": invalid syntax' max-file=x
refused "compress=yes" 'strconv.ParseBool: parsing "yes": invalid syntax' compress=yes max-size=1k max-file=2
refused "compress without max-size" \
  "compress cannot be true when max-file is less than 2 or max-size is not set" compress=true
refused "env-regex=(" 'error parsing regexp: missing closing ): `(`' 'env-regex=('
refused "tag={{.Nope}}" \
  'template: log-tag:1:2: executing "log-tag" at <.Nope>: can'"'"'t evaluate field Nope in type *logger.Info' \
  'tag={{.Nope}}'
capture d run --rm --log-opt max-size=1.5k --log-opt 'max-size=1 k' busybox true
expect_eq "max-size=1.5k and '1 k' are sizes" "$RC" 0

# ---- compress: rotated files are gzipped, and logs reads them in order ----
d run --name lz --log-opt compress=true --log-opt max-size=1k --log-opt max-file=3 \
  busybox sh -c "$sixty_lines" >/dev/null
log=$(d inspect -f '{{.LogPath}}' lz)
gzipped() { [ -f "$log.2.gz" ] && [ -f "$log.1.gz" ] && [ ! -e "$log.1" ]; }
if wait_until 10 gzipped; then pass "compress: the rotated files are $log.1.gz and .2.gz"; else
  fail "compress: the rotated files are $log.1.gz and .2.gz" "$(ls "$(dirname "$log")")"; fi
expect_eq "compress: logs reads all 36 kept lines, oldest first" \
  "$(d logs lz | head -1) $(d logs lz | tail -1) $(d logs lz | wc -l)" "line number 25 line number 60 36"
expect_eq "compress: logs --tail 14 reaches into a gzipped file" "$(d logs --tail 14 lz | head -1)" \
  "line number 47"
expect_eq "compress: the gzip holds json-file lines" "$(zcat "$log.1.gz" | head -1 | without_times)" \
  '{"log":"line number 37\n","stream":"stdout","time":T}'
last_time=$(zcat "$log.1.gz" | tail -1 | sed 's/.*"time":"\([^"]*\)".*/\1/')
expect_eq "compress: the gzip header records the last entry's time, as dockerd's does" \
  "$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); n=struct.unpack("<H",d[10:12])[0]; print(d[12:12+n].decode())' "$log.1.gz")" \
  "{\"lastTime\":\"$last_time\"}"
d rm lz >/dev/null

# logs -f while the container writes: many rotations into gzipped files, no line lost or repeated.
d run -d --name lf --log-opt compress=true --log-opt max-size=1k --log-opt max-file=5 \
  busybox sh -c 'sleep 0.5; for i in $(seq 1 300); do echo "line number $i"; usleep 5000; done' >/dev/null
follow_out=$(timeout 60 docker -H "unix://$BERTH_BERTHD_SOCK" logs -f lf)
expect_eq "logs -f across gzipped rotations: every line once, in order" \
  "$(md5sum <<<"$follow_out")" "$(for i in $(seq 1 300); do echo "line number $i"; done | md5sum)"
d rm lf >/dev/null

assert_finish
