#pragma once
// berth's machine manager (`berth machine …`, the drivers, provisioning over SSH) is a module of
// its own: libvirt and libssh pull in some 60 shared libraries whose loading alone costs ~15 ms,
// more than a whole `docker ps`. The berth executable loads the module (dlopen) only when a command
// needs it — `berth machine …`, `completion`, `--machine NAME` — so `berth ps` starts as fast as a
// small C++ program. Unit tests link the same code in directly.
#include <string>

#include "cli/cli_context.hpp"

namespace CLI {
class App;
}

namespace berth::cli {

struct MachineCommandEnv;

// Where a stored machine's engine answers and the folder with its client certificates.
struct MachineEndpoint {
  std::string url;
  std::string cert_dir;
};

struct MachineModule {
  // Adds `machine` and all its subcommands to `app`.
  void (*add_commands)(CLI::App& app, MachineCommandEnv& env);
  // Sets the driver, provisioner and engine-probe hooks of `context` that are still unset (tests
  // set fakes first).
  void (*fill_context)(CliContext& context);
  // The engine of machine `name` in env's store, for `--machine NAME`.
  MachineEndpoint (*endpoint_of)(const MachineCommandEnv& env, const std::string& name);
};

// The module's table, from code linked in (the module itself; unit tests).
const MachineModule& linked_machine_module();

// The executable's way: dlopens the module (BERTH_MACHINE_MODULE, else libberth-machine.so in
// ../lib next to the executable) once. Throws Error naming the file and the loader's reason.
const MachineModule& load_machine_module();

// The module a context uses, with its hooks filled: what run_berth and --machine call.
const MachineModule& machine_support(CliContext& context);

}  // namespace berth::cli
