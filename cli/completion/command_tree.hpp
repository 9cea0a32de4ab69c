#pragma once
// The shape of berth's command line as completion needs it: every command path, its subcommands
// and its options, read from the CLI11 tree that run_berth builds, so completion never drifts
// from the commands that exist.
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace berth::cli::completion {

struct OptionSpec {
  std::vector<std::string> names;  // "-H", "--host"
  bool takes_value = false;        // a flag does not
};

struct CommandSpec {
  std::string path;                      // "" for berth itself, "machine ls", "image inspect"
  std::vector<std::string> subcommands;  // names and aliases
  std::vector<OptionSpec> options;
};

// Every command reachable from `root`, depth first, berth itself first. Hidden commands (empty
// description groups) and the help flag are left out.
std::vector<CommandSpec> command_tree(const CLI::App& root);

// What the positional arguments of a command name, so completion can offer live names.
enum class ArgumentKind { None, Container, Image, Machine };

struct PositionalSpec {
  ArgumentKind kind = ArgumentKind::None;
  bool only_first = false;  // `run IMAGE COMMAND…`: only the first argument is an image
};

// docker's conventions for berth's commands ("rm" takes containers, "run" one image, "machine ip"
// machines). Commands not listed take nothing completable.
PositionalSpec positional_spec(const std::string& path);

// Options whose value is a machine name (--machine) or a container/image.
ArgumentKind option_value_kind(const std::string& option_name);

}  // namespace berth::cli::completion
