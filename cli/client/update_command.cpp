// berth update (and container update): new resource limits or restart policy for containers,
// printed as docker prints them — each updated name, then the engine's warnings, then the errors.
#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/update_body.hpp"

namespace berth::cli::client {

namespace {

struct UpdateCommand {
  UpdateFlags flags;
  std::vector<std::string> containers;
};

int update_containers(ClientEnv& env, const UpdateCommand& command) {
  if (!command.flags.any()) {
    throw InvalidArgument("you must provide one or more flags when using this command");
  }
  const std::string body = update_body(command.flags).dump();
  std::vector<std::string> warnings, errors;
  for (const auto& name : command.containers) {
    try {
      auto answer =
          env.engine().call_json("POST", "/containers/" + url_encode(name) + "/update", body);
      env.out() << name << "\n";
      for (const auto& w : get_string_array(answer, "Warnings")) warnings.push_back(w);
    } catch (const EngineUnreachable&) {
      throw;
    } catch (const std::exception& e) {
      errors.push_back(describe_failure(e));
    }
  }
  for (const auto& w : warnings) env.out() << w << "\n";
  if (errors.empty()) return 0;
  env.out().flush();
  for (const auto& e : errors) env.err() << e << "\n";
  return kExitFailure;
}

}  // namespace

void add_update_command(CLI::App& parent, ClientEnv& env) {
  auto cmd_flags = std::make_shared<UpdateCommand>();
  auto& f = cmd_flags->flags;
  auto* cmd = parent.add_subcommand("update", "Update configuration of one or more containers");
  cmd->add_option("containers", cmd_flags->containers, "Containers")->required();
  cmd->add_option("-m,--memory", f.memory, "Memory limit");
  cmd->add_option("--memory-swap", f.memory_swap,
                  "Swap limit equal to memory plus swap: -1 to enable unlimited swap");
  cmd->add_option("--memory-reservation", f.memory_reservation, "Memory soft limit");
  cmd->add_option("--kernel-memory", f.kernel_memory, "Kernel memory limit (deprecated)");
  cmd->add_option("--cpus", f.cpus, "Number of CPUs");
  cmd->add_option("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
  cmd->add_option("--cpu-period", f.cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
  cmd->add_option("--cpu-quota", f.cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
  cmd->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  cmd->add_option("--cpuset-mems", f.cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
  cmd->add_option("--pids-limit", f.pids_limit, "Tune container pids limit (set -1 for unlimited)");
  cmd->add_option("--blkio-weight", f.blkio_weight,
                  "Block IO (relative weight), between 10 and 1000, or 0 to disable");
  cmd->add_option("--restart", f.restart, "Restart policy to apply when a container exits");
  cmd->callback(
      [&env, cmd_flags] { run_command(env, [&] { return update_containers(env, *cmd_flags); }); });
}

}  // namespace berth::cli::client
