#pragma once
// What every client command (berth run, ps, …) shares: the CLI context, the global engine flags,
// one lazily opened engine connection, and docker's way of reporting failures.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli_context.hpp"
#include "cli/client/engine_client.hpp"
#include "cli/client/engine_selection.hpp"
#include "cli/machine_command_env.hpp"

namespace CLI {
class App;
}

namespace berth::cli::client {

// docker's exit codes: 1 for a failed command, 125 when run/create fail before the container runs
// (and for command-line errors).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitEngineError = 125;

struct ClientEnv {
  ClientEnv(CliContext& context, MachineCommandEnv& machine_env)
      : ctx(context), machines(machine_env) {}

  CliContext& ctx;
  MachineCommandEnv& machines;  // the store --machine names a machine in (--storage-path)
  // Global flags as CLI11 fills them.
  std::string host;
  std::string machine;
  bool tls = false;
  bool tlsverify = false;
  std::string tlscacert, tlscert, tlskey;
  // Which of the above were given (CLI11 options), for docker's "given at all" rules.
  std::function<bool(const char* name)> given;

  std::ostream& out() const { return *ctx.out; }
  std::ostream& err() const { return *ctx.err; }
  // The engine connection, opened on first use from the flags, the environment and the store.
  EngineClient& engine();
  EngineTarget target() const;

 private:
  std::unique_ptr<EngineClient> engine_;
};

// The text docker prints for a failed command: "Error response from daemon: …" for engine
// answers, the message itself for everything else.
std::string describe_failure(const std::exception& e);

// docker's pattern for commands over several objects (rm, rmi, stop, …): runs `action` on each
// name, prints the text it returns (nothing for ""), prints each failure as it happens, and
// answers 1 at the end if any failed. An unreachable engine ends it at once.
int for_each_name(ClientEnv& env, const std::vector<std::string>& names,
                  const std::function<std::string(const std::string& name)>& action);

// Runs a command body and turns its outcome into the process exit code: a non-zero result or a
// failure (printed to stderr as docker prints it, `prefix` first, e.g. "berth: ") ends parsing
// with CLI::RuntimeError carrying the code.
void run_command(ClientEnv& env, const std::function<int()>& body, int failure_code = kExitFailure,
                 const std::string& prefix = "");

// Global flags: -H/--host, --tls, --tlsverify, --tlscacert, --tlscert, --tlskey, --machine, and
// docker's -D/--debug and -l/--log-level (accepted, no effect).
void add_engine_flags(CLI::App& app, ClientEnv& env);

// Every top-level client command (version, ps, run, …), each file adding its own.
// `only`: the command word of the command line ("ps", "container"); only the commands registered
// with it are built. Empty or unknown: all of them (help, completion, a mistyped command).
void add_client_commands(CLI::App& app, ClientEnv& env, const std::string& only = "");

// The first word of a berth command line that is a command, skipping global options and their
// values: "machine" for `berth -s DIR machine ls`, "run" for `berth -H x run busybox`.
std::string command_word(const std::vector<std::string>& args);

// Registration, one file per group. `parent` is the app (docker's top-level names: ps, images,
// rmi) or a management group (container, image, system) where the same commands take the group's
// names (container ls, image rm); `grouped` says which.
void add_version_commands(CLI::App& app, ClientEnv& env);  // version
void add_ps_command(CLI::App& parent, ClientEnv& env, bool grouped);
void add_images_command(CLI::App& parent, ClientEnv& env, bool grouped);
void add_run_commands(CLI::App& parent, ClientEnv& env);        // run create start attach
void add_container_commands(CLI::App& parent, ClientEnv& env);  // stop kill rm wait …
void add_logs_command(CLI::App& parent, ClientEnv& env);
void add_exec_command(CLI::App& parent, ClientEnv& env);
// kind: "" (top-level: containers, then images), "container" or "image".
void add_inspect_command(CLI::App& parent, ClientEnv& env, const std::string& kind);
void add_image_commands(CLI::App& parent, ClientEnv& env,
                        bool grouped);  // load save tag rmi history
void add_system_commands(CLI::App& parent, ClientEnv& env, bool grouped);  // info events df
void add_stats_command(CLI::App& parent, ClientEnv& env);
void add_cp_command(CLI::App& parent, ClientEnv& env);
void add_pull_push_commands(CLI::App& parent, ClientEnv& env);  // pull push
void add_import_command(CLI::App& parent, ClientEnv& env);
void add_update_command(CLI::App& parent, ClientEnv& env);
void add_image_prune_command(CLI::App& image_group, ClientEnv& env);
void add_system_prune_command(CLI::App& system_group, ClientEnv& env);
void add_network_commands(CLI::App& app, ClientEnv& env);  // the `network` group
void add_volume_commands(CLI::App& app, ClientEnv& env);   // the `volume` group
void add_build_command(CLI::App& parent, ClientEnv& env);
void add_login_commands(CLI::App& app, ClientEnv& env);  // login logout

}  // namespace berth::cli::client
