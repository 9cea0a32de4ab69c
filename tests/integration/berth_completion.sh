#!/usr/bin/env bash
# `berth completion` loaded into real bash, zsh and fish, completing against a real berthd: a
# container name for `berth rm`, an image for `berth run`, a command, an option, and names from the
# engine that -H selects on the line. Needs root; finishes on its own.
set -euo pipefail

source_dir=${BERTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../fixtures/assert.sh
source "$source_dir/tests/fixtures/assert.sh"
# shellcheck source=../fixtures/berthd-in-netns.sh
source "$source_dir/tests/fixtures/berthd-in-netns.sh"

berthd_test_setup
work=$BERTH_BERTHD_DIR/client
mkdir -p "$work"
# The scripts run `berth` from PATH, as an installed berth would be found.
export PATH=$BERTH_BUILD_DIR/bin:$PATH
export DOCKER_HOST=$BERTH_BERTHD_HOST
berthd_netns_docker run -d --name compl-web busybox sleep 300 > /dev/null
berthd_netns_docker create --name compl-db busybox true > /dev/null

berth completion bash > "$work/berth.bash"
berth completion zsh > "$work/_berth"
berth completion fish > "$work/berth.fish"
expect_fail_with "an unknown shell is refused" "tcsh" berth completion tcsh

# bash: what pressing TAB after LINE offers (the words sorted, space separated).
bash_offers() {
  bash --norc --noprofile -c '
    source "$1"
    read -r -a COMP_WORDS <<< "$2"
    [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _berth
    [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$work/berth.bash" "$1"
}
# zsh: through bashcompinit's compgen, as a real completion runs it; the print keeps the matches
# of the typed prefix as compadd would.
zsh_offers() {
  zsh -f -c '
    autoload -U +X compinit && compinit -u
    source "$1"
    local -a words found COMP_WORDS COMPREPLY
    local CURRENT COMP_CWORD
    words=(${=2}); [[ $2 == *" " ]] && words+=("")
    CURRENT=${#words}; COMP_WORDS=("${words[@]}"); (( COMP_CWORD = CURRENT - 1 ))
    found=(${(f)"$(compgen -F _berth -- "${words[CURRENT]}")"})
    found=(${(M)found:#${words[CURRENT]}*})
    (( ${#found} == 0 )) || print -l -r -- $found | sort | tr "\n" " "' _ "$work/_berth" "$1"
}
fish_offers() {
  fish --no-config -c 'source $argv[1]; complete -C $argv[2] | string replace -r "\t.*" "" | sort | tr "\n" " "' \
    "$work/berth.fish" "$1"
}

for shell in bash zsh fish; do
  offers="${shell}_offers"
  expect_eq "$shell: berth rm compl<TAB> offers the containers" "$($offers 'berth rm compl')" "compl-db compl-web "
  expect_eq "$shell: berth stop -t 1 compl-w<TAB>" "$($offers 'berth stop -t 1 compl-w')" "compl-web "
  expect_eq "$shell: berth run bus<TAB> offers the image" "$($offers 'berth run bus')" "busybox:latest "
  expect_contains "$shell: berth ps --fo<TAB> offers --format" "$($offers 'berth ps --fo')" "--format"
  expect_contains "$shell: berth ima<TAB> offers images" "$($offers 'berth ima')" "images"
  expect_eq "$shell: berth machine reg<TAB>" "$($offers 'berth machine reg')" "regenerate-certs "
  # -H on the line selects the engine the names come from: another (absent) engine has none.
  expect_eq "$shell: names come from the engine -H names" \
    "$(DOCKER_HOST= $offers "berth -H $BERTH_BERTHD_HOST rm compl-d")" "compl-db "
  expect_eq "$shell: no names from an engine that is not there" \
    "$($offers "berth -H unix://$work/nothing.sock rm compl")" ""
done

assert_finish
