#include "guest-agent/agent_commands.hpp"

#include <unistd.h>

#include <chrono>
#include <climits>
#include <fstream>
#include <sstream>

#include "guest-agent/guest_info.hpp"

namespace berth::agent {

namespace {

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) throw_errno("gethostname");
  return name;
}

double uptime_seconds(const std::string& path) {
  std::ifstream in(path);
  double seconds = 0;
  in >> seconds;
  return seconds;
}

// MemTotal and MemAvailable in KiB; "in use" is their difference, as free(1) computes it.
Json memory(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  long long value = 0;
  std::string unit;
  long long total = 0, available = 0;
  while (in >> key >> value >> unit) {
    if (key == "MemTotal:") total = value;
    if (key == "MemAvailable:") available = value;
  }
  return {{"total_kib", total}, {"available_kib", available}, {"used_kib", total - available}};
}

bool is_mounted(const std::string& mounts_path, const std::string& target) {
  std::ifstream in(mounts_path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string device, mount_point;
    fields >> device >> mount_point;
    if (mount_point == target) return true;
  }
  return false;
}

}  // namespace

void add_guest_commands(CommandTable& table, SystemActions& system, EngineControl& engine,
                        const GuestPaths& paths) {
  table.add("guest-network-get-interfaces", [paths](const Json&) {
    return CommandResult{.value = network_interfaces(paths.sysfs_net)};
  });
  table.add("guest-get-osinfo",
            [paths](const Json&) { return CommandResult{.value = os_info(paths.os_release)}; });
  table.add("guest-get-host-name", [](const Json&) {
    return CommandResult{.value = {{"host-name", host_name()}}};
  });
  table.add("guest-get-time", [](const Json&) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return CommandResult{.value =
                             std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()};
  });
  table.add("guest-set-time", [&system](const Json& args) {
    std::optional<std::int64_t> ns;
    if (const auto it = args.find("time"); it != args.end() && !it->is_null()) {
      if (!it->is_number_integer()) {
        throw CommandError("GenericError", "Parameter 'time' expects an integer");
      }
      ns = it->get<std::int64_t>();
      if (*ns < 0) throw CommandError("GenericError", "Parameter 'time' must not be negative");
    }
    system.set_time(ns);
    return CommandResult{};
  });
  // qemu-ga never answers a successful guest-shutdown; libvirt waits for QEMU's SHUTDOWN event.
  table.add(
      "guest-shutdown",
      [&system, &engine](const Json& args) {
        std::string name = "powerdown";
        if (const auto it = args.find("mode"); it != args.end() && !it->is_null()) {
          if (!it->is_string())
            throw CommandError("GenericError", "Parameter 'mode' expects a string");
          name = it->get<std::string>();
        }
        const ShutdownMode mode = parse_shutdown_mode(name);
        return CommandResult{.reply = false, .after_reply = [&system, &engine, mode] {
                               engine.stop();
                               system.shutdown(mode);
                             }};
      },
      false);
}

void add_berth_commands(CommandTable& table, EngineControl& engine,
                        const std::string& agent_version, const GuestPaths& paths) {
  table.add("berth-status", [&engine, agent_version, paths](const Json&) {
    const EngineStatus s = engine.status();
    Json value = {{"agent_version", agent_version},
                  {"hostname", host_name()},
                  {"uptime", uptime_seconds(paths.proc_uptime)},
                  {"memory", memory(paths.proc_meminfo)},
                  {"data_disk_mounted", is_mounted(paths.proc_mounts, paths.data_disk_mount)},
                  {"engine_supervised", s.supervised},
                  {"engine_running", s.running},
                  {"engine_ready", s.ready},
                  {"engine_pid", s.pid},
                  {"engine_version", s.version},
                  {"engine_api_version", s.api_version},
                  {"engine_restarts", s.restarts},
                  {"engine_last_restart_delay_ms", s.last_restart_delay_ms},
                  {"engine_running_seconds", s.running_seconds},
                  {"engine_last_exit", s.last_exit},
                  {"engine_binary", s.binary},
                  {"engine_config_file", s.config_file},
                  {"engine_socket", s.socket}};
    value["engine_ready_after_seconds"] =
        s.ready_after_seconds ? Json(*s.ready_after_seconds) : Json(nullptr);
    return CommandResult{.value = std::move(value)};
  });
  table.add("berth-restart-engine", [&engine](const Json&) {
    return CommandResult{.value = {{"engine_pid", engine.restart()}}};
  });
}

}  // namespace berth::agent
