#pragma once
// Shared pieces of the `berth machine` subcommands: the store chosen by --storage-path, loading a
// machine with its driver, provisioning, and acting on several machines at once.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_context.hpp"
#include "cli/parallel.hpp"
#include "machine/machine_record.hpp"
#include "machine/store.hpp"

namespace CLI {
class App;
}

namespace berth::cli {

// Docker-machine's convention: a command without a machine name means the machine "default".
inline constexpr const char* kDefaultMachine = "default";

struct MachineCommandEnv {
  CliContext& ctx;
  std::optional<std::string> storage_flag;  // --storage-path, filled in by CLI11 before callbacks
  // Everything after the first "--" (`berth machine ssh dev -- uname -a`), split off before CLI11
  // sees the arguments: CLI11 2.1 mis-parses "--" inside subcommands.
  std::optional<std::vector<std::string>> passthrough;

  machine::Store store() const {
    return machine::Store(machine::resolve_storage_path(storage_flag));
  }
  std::ostream& out() const { return *ctx.out; }
  std::ostream& err() const { return *ctx.err; }
};

struct LoadedMachine {
  machine::MachineRecord record;
  std::unique_ptr<drivers::Driver> driver;
  std::string dir;
};

LoadedMachine load_machine(const MachineCommandEnv& env, const std::string& name);
// Stores the driver's current state (start/restart may change ports or the VM type).
void save_machine(const MachineCommandEnv& env, LoadedMachine& machine);

std::vector<std::string> names_or_default(const std::vector<std::string>& names);
// Prints every outcome ("Machine "dev" was stopped." or the error to stderr) and returns the exit
// code: 0 when all succeeded.
int report_outcomes(const MachineCommandEnv& env, const std::vector<MachineOutcome>& outcomes);

// Whether berth sets up an engine on this kind of machine (not for none: the engine exists).
bool is_provisioned(const machine::MachineRecord& record);

// Runs the provisioner on a running machine and records what it found (host key, OS, version).
void provision_machine(const MachineCommandEnv& env, LoadedMachine& machine,
                       const machine::ProgressFn& progress);
// Issues the server certificate for the machine's current IP and records that IP.
void issue_server_certificate(const MachineCommandEnv& env, LoadedMachine& machine);
// After start/restart: when the IP differs from the one the certificate was issued for, re-issue it
// and re-provision, so TLS keeps working (docker-machine's most common complaint). Returns a note
// for the user, or "" when nothing changed.
std::string refresh_if_address_changed(const MachineCommandEnv& env, LoadedMachine& machine);

// The private key berth logs into the machine with: the generic driver's copy of the user's key,
// else the machine's own id_ed25519.
std::string machine_ssh_key(const MachineCommandEnv& env, const LoadedMachine& machine);

// Throws Conflict unless the machine runs (ssh/scp/provision need it running).
void require_running(LoadedMachine& machine, const std::string& action);

// Subcommand registration, one file each.
void add_create_command(CLI::App& parent, MachineCommandEnv& env);
void add_lifecycle_commands(CLI::App& parent,
                            MachineCommandEnv& env);  // start stop restart kill rm
void add_ls_command(CLI::App& parent, MachineCommandEnv& env);
void add_info_commands(CLI::App& parent,
                       MachineCommandEnv& env);  // env ip url status inspect config active version
void add_ssh_commands(CLI::App& parent, MachineCommandEnv& env);  // ssh scp
void add_provision_commands(CLI::App& parent,
                            MachineCommandEnv& env);  // provision upgrade regenerate-certs

}  // namespace berth::cli
