#include "cli/cli_context.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iterator>

#include "cli/client/client_env.hpp"
#include "cli/completion/completion_command.hpp"
#include "cli/machine_command_env.hpp"
#include "cli/machine_module.hpp"
#include "common/error.hpp"
#include "common/subprocess.hpp"

namespace berth::cli {

std::optional<std::string> CliContext::env(const std::string& key) const {
  if (getenv) return getenv(key);
  const char* value = std::getenv(key.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

namespace {

int run_inherited(const std::vector<std::string>& argv) {
  SpawnOptions options;
  options.argv = argv;
  options.search_path = true;
  auto process = spawn(options);
  return process.wait().shell_code();
}

// build/bin for a build tree; the installed layout keeps the same relative places.
std::string executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

}  // namespace

CliContext default_context() {
  CliContext context;
  context.run_process = run_inherited;
  // BERTH_BIN_DIR / BERTH_IMAGE_DIR point a berth built elsewhere at another build's engine and
  // VM image (tests, development builds of the CLI alone).
  // Machines get the stripped copies in lib/berth (images/CMakeLists.txt), the very files the VM
  // image embeds, so a new machine needs none uploaded.
  const std::string exe_dir = executable_dir();
  const char* bin_dir = std::getenv("BERTH_BIN_DIR");
  context.bin_dir = bin_dir != nullptr ? bin_dir
                    : std::filesystem::exists(exe_dir + "/../lib/berth/berthd")
                        ? exe_dir + "/../lib/berth"
                        : exe_dir;
  const char* image_dir = std::getenv("BERTH_IMAGE_DIR");
  context.image_dir = image_dir != nullptr ? image_dir : exe_dir + "/../images/vm";
  return context;
}

int run_berth(const std::vector<std::string>& args, CliContext& context) {
  CLI::App app{"berth: create machines and run containers on them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("berth version ") +
#ifdef BERTH_VERSION
                                        BERTH_VERSION
#else
                                        "0.0.0"
#endif
  );
  MachineCommandEnv env{context, std::nullopt};
  app.add_option("-s,--storage-path", env.storage_flag,
                 "Machine store (default: $BERTH_STORAGE_PATH or ~/.berth)");
  // The container client: docker's commands and global engine flags (-H, --tlsverify, --machine).
  client::ClientEnv client_env{context, env};
  client::add_engine_flags(app, client_env);
  const std::string command = client::command_word(args);
  client::add_client_commands(app, client_env, command);
  if (command == "machine" || command == "completion") {
    try {
      machine_support(context).add_commands(app, env);
    } catch (const std::exception& e) {
      *context.err << "error: " << e.what() << "\n";
      return 1;
    }
  } else {
    // Listed in `berth --help` without loading the machine module (cli/machine_module.hpp);
    // `berth machine …` itself takes the branch above.
    app.add_subcommand("machine", "Create and manage machines")->allow_extras();
  }
  add_completion_command(app, context);  // last: it describes every command registered above

  // "--" splitting is for `berth machine ssh NAME -- COMMAND` only: client commands (run, exec)
  // pass everything after the image or container to it verbatim.
  const bool machine_command = command == "machine" || command.empty();
  auto dashes = machine_command ? std::find(args.begin(), args.end(), "--") : args.end();
  if (dashes != args.end()) {
    if (std::find(args.begin(), dashes, "ssh") == dashes) {
      *context.err << "error: \"--\" is only for `berth machine ssh NAME -- COMMAND`\n";
      return 2;
    }
    env.passthrough.emplace(dashes + 1, args.end());
  }
  // CLI11 wants argv order reversed in a vector.
  std::vector<std::string> reversed(std::make_reverse_iterator(dashes), args.rend());
  try {
    app.parse(reversed);
    return 0;
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command already reported its failures
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, *context.out, *context.err);
    // docker exits 125 for a command line it cannot parse.
    return code == 0 ? 0 : machine_command ? 2 : client::kExitEngineError;
  } catch (const std::exception& e) {
    *context.err << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace berth::cli
