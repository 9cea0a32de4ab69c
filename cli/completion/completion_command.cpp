#include "cli/completion/completion_command.hpp"

#include <CLI/CLI.hpp>

#include "cli/completion/completion_scripts.hpp"

namespace berth::cli {

void add_completion_command(CLI::App& root, CliContext& context) {
  auto shell = std::make_shared<std::string>();
  auto* cmd =
      root.add_subcommand("completion",
                          "Print the shell completion script: source <(berth completion bash), "
                          "berth completion fish | source");
  cmd->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->callback([&root, &context, shell] {
    *context.out << completion::completion_script(*shell, completion::command_tree(root));
  });
}

}  // namespace berth::cli
