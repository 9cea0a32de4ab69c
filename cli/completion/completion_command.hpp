#pragma once
// `berth completion bash|zsh|fish`: prints the completion script for the command tree `root`
// holds once every other command is registered (register this one last).
#include "cli/cli_context.hpp"

namespace CLI {
class App;
}

namespace berth::cli {

void add_completion_command(CLI::App& root, CliContext& context);

}  // namespace berth::cli
