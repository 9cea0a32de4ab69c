// start, stop, restart, kill and rm: each takes several machine names and works on them at once.
#include <CLI/CLI.hpp>
#include <chrono>
#include <thread>

#include "cli/machine_command_env.hpp"
#include "common/error.hpp"

namespace berth::cli {

namespace {

// How long start/restart wait for the guest agent before reporting the machine as not ready.
constexpr std::chrono::seconds kBootTimeout{300};
// Then how long for the engine to answer over TLS: the agent starts berthd once it is up itself.
constexpr std::chrono::seconds kEngineTimeout{120};

std::string quoted(const std::string& name) {
  return "\"" + name + "\"";
}

// `docker` right after `berth machine start` must work, so start returns only once the engine
// answers over TLS (until then the forwarded port or the guest resets connections).
void wait_for_engine(MachineCommandEnv& env, LoadedMachine& machine, const std::string& name) {
  const auto deadline = std::chrono::steady_clock::now() + kEngineTimeout;
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      env.ctx.engine_version(machine.driver->engine_url(), machine.dir, std::chrono::seconds(5));
      return;
    } catch (const std::exception& e) {
      last_error = e.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  throw Timeout("the engine of machine " + quoted(name) + " did not answer over TLS within " +
                std::to_string(kEngineTimeout.count()) + " s (" + last_error +
                "); see `berth machine ssh " + name + " -- cat /var/log/berthd.log`");
}

std::string start_one(MachineCommandEnv& env, const std::string& name, bool restart) {
  auto machine = load_machine(env, name);
  if (restart) {
    machine.driver->restart();
  } else {
    machine.driver->start();
  }
  save_machine(env, machine);
  machine.driver->wait_ready(kBootTimeout);
  save_machine(env, machine);
  std::string message =
      "Machine " + quoted(name) + " was " + (restart ? "restarted" : "started") + ".";
  auto note = refresh_if_address_changed(env, machine);
  if (!note.empty()) message += "\n" + note;
  wait_for_engine(env, machine, name);
  return message;
}

void add_multi(CLI::App& parent, MachineCommandEnv& env, const std::string& verb,
               const std::string& help,
               std::function<std::string(MachineCommandEnv&, const std::string&)> action) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = parent.add_subcommand(verb, help);
  cmd->add_option("names", *names, "Machine names (default: \"default\")");
  cmd->callback([&env, names, action] {
    auto outcomes = run_for_each_machine(
        names_or_default(*names), [&](const std::string& name) { return action(env, name); });
    if (int code = report_outcomes(env, outcomes); code != 0) throw CLI::RuntimeError(code);
  });
}

bool confirm(MachineCommandEnv& env, const std::vector<std::string>& names) {
  env.out() << "About to remove ";
  for (std::size_t i = 0; i < names.size(); ++i) env.out() << (i ? ", " : "") << names[i];
  env.out() << "\nWARNING: This action will delete both local reference and remote instance.\n"
            << "Are you sure? (y/n): " << std::flush;
  std::string answer;
  if (!std::getline(*env.ctx.in, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// Removes the machine: its driver's resources, then its folder. With force, a machine whose record
// is unreadable or whose driver fails is still removed from the store (with a warning saying what
// may be left), so a broken machine never blocks its own removal.
std::string remove_one(MachineCommandEnv& env, const std::string& name, bool force) {
  auto store = env.store();
  std::string warning;
  try {
    auto machine = load_machine(env, name);
    machine.driver->remove();
  } catch (const NotFound&) {
    throw;
  } catch (const std::exception& e) {
    if (!force) {
      throw Error(std::string(e.what()) + "\n(use `berth machine rm -f " + name +
                  "` to remove it from berth anyway)");
    }
    warning = "Warning: " + std::string(e.what()) +
              "\nThe machine was removed from berth anyway; check that nothing of it is left " +
              "(for a libvirt machine: `virsh list --all`, `virsh vol-list berth`).\n";
  }
  store.remove_machine_dir(name);
  return warning + "Successfully removed " + name;
}

}  // namespace

void add_lifecycle_commands(CLI::App& parent, MachineCommandEnv& env) {
  add_multi(parent, env, "start", "Start machines",
            [](MachineCommandEnv& e, const std::string& n) { return start_one(e, n, false); });
  add_multi(parent, env, "restart", "Restart machines",
            [](MachineCommandEnv& e, const std::string& n) { return start_one(e, n, true); });
  add_multi(parent, env, "stop", "Stop machines (clean shutdown)",
            [](MachineCommandEnv& e, const std::string& n) {
              auto machine = load_machine(e, n);
              machine.driver->stop();
              save_machine(e, machine);
              return "Machine " + quoted(n) + " was stopped.";
            });
  add_multi(parent, env, "kill", "Power machines off at once",
            [](MachineCommandEnv& e, const std::string& n) {
              auto machine = load_machine(e, n);
              machine.driver->kill();
              save_machine(e, machine);
              return "Machine " + quoted(n) + " was killed.";
            });

  struct RmFlags {
    std::vector<std::string> names;
    bool force = false;
    bool yes = false;
  };
  auto flags = std::make_shared<RmFlags>();
  auto* rm = parent.add_subcommand("rm", "Remove machines");
  rm->add_option("names", flags->names, "Machine names (default: \"default\")");
  rm->add_flag("-f,--force", flags->force, "Remove even when the driver cannot (implies -y)");
  rm->add_flag("-y", flags->yes, "Do not ask for confirmation");
  rm->callback([&env, flags] {
    auto names = names_or_default(flags->names);
    for (const auto& name : names) drivers::validate_machine_name(name);
    if (!flags->force && !flags->yes && !confirm(env, names)) {
      throw Error("nothing removed (not confirmed)");
    }
    auto outcomes = run_for_each_machine(
        names, [&](const std::string& name) { return remove_one(env, name, flags->force); });
    if (int code = report_outcomes(env, outcomes); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace berth::cli
