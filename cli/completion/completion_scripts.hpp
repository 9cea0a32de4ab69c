#pragma once
// `berth completion bash|zsh|fish`: scripts generated from the command tree. Commands, subcommands
// and options come from the tree; container, image and machine names are asked of berth itself at
// completion time (`berth ps -a --format`, `berth images --format`, `berth machine ls -q`), with
// the global options already typed (-H, --machine, --tls…) so the names come from the same engine
// the command will reach.
#include <string>
#include <vector>

#include "cli/completion/command_tree.hpp"

namespace berth::cli::completion {

std::string bash_script(const std::vector<CommandSpec>& tree);
// bash's script under zsh's bashcompinit (load compinit first, as every zsh completion needs).
std::string zsh_script(const std::vector<CommandSpec>& tree);
std::string fish_script(const std::vector<CommandSpec>& tree);

// One of the above by shell name; throws InvalidArgument naming the shells there are.
std::string completion_script(const std::string& shell, const std::vector<CommandSpec>& tree);

}  // namespace berth::cli::completion
