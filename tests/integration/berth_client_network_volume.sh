#!/usr/bin/env bash
# `berth network …` and `berth volume …` against berthd in a fresh netns, compared with the stock
# docker CLI against the same engine: listings (columns, -q, --format, --filter), inspect, and the
# engine's refusals (user-defined networks and named volumes come later) with docker's exit codes.
# Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"
# shellcheck source=../fixtures/berth-client.sh
source "$source_dir/tests/fixtures/berth-client.sh"

berth_client_init
BERTH_TEST_NO_LOAD=1 berthd_test_setup

# ---- networks ----
capture b network ls
expect_eq "network ls header is docker's" "$(head -1 <<<"$OUT" | tr -s ' ')" "NETWORK ID NAME DRIVER SCOPE"
expect_contains "network ls lists the built-in bridge" "$OUT" " bridge "
same_as_docker "network ls" network ls
same_as_docker "network ls -q" network ls -q
same_as_docker "network ls --no-trunc" network ls --no-trunc
same_as_docker "network ls --format" network ls --format '{{.Name}}:{{.Driver}}:{{.Scope}}'
same_as_docker "network ls --filter name=bridge" network ls --filter name=bridge
same_as_docker "network ls --format json" network ls --format '{{.Name}} {{.Internal}} {{.IPv6}}'
capture b network inspect bridge
expect_eq "network inspect exits 0" "$RC" 0
expect_eq "network inspect prints the engine's object" "$(jq -r '.[0].Name' <<<"$OUT")" "bridge"
same_as_docker "network inspect -f" network inspect -f '{{.Name}} {{.Driver}} {{.Scope}}' bridge host none
same_as_docker "network inspect of a missing network" network inspect nosuchnet
same_as_docker "network create (refused by berthd)" network create mynet
same_as_docker "network create with a subnet (refused)" network create --subnet 10.5.0.0/16 --gateway 10.5.0.1 -o com.docker.network.bridge.name=br5 --label a=b net2
same_as_docker "network rm of a missing network" network rm nosuchnet
same_as_docker "network rm -f of a missing network" network rm -f nosuchnet
same_as_docker "network prune -f" network prune -f
same_as_docker "network connect (refused)" network connect bridge nosuchcontainer
same_as_docker "network disconnect (refused)" network disconnect bridge nosuchcontainer
capture b network prune <<<"n"
expect_eq "network prune asks docker's question" "$OUT" $'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '

# ---- volumes ----
capture b volume ls
expect_eq "volume ls header is docker's" "$(tr -s ' ' <<<"$OUT")" "DRIVER VOLUME NAME"
same_as_docker "volume ls" volume ls
same_as_docker "volume ls -q" volume ls -q
same_as_docker "volume ls --filter dangling=true" volume ls --filter dangling=true
same_as_docker "volume create (refused by berthd)" volume create myvol
same_as_docker "volume create with options (refused)" volume create -o type=tmpfs -o device=tmpfs --label x=y v2
same_as_docker "volume inspect of a missing volume" volume inspect nosuchvol
same_as_docker "volume rm of a missing volume" volume rm nosuchvol
same_as_docker "volume prune -f" volume prune -f
capture b volume prune <<<"n"
expect_eq "volume prune asks docker's question" "$OUT" $'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] '

assert_finish
