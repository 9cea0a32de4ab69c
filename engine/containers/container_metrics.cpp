#include "engine/containers/container_metrics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/subprocess.hpp"
#include "common/time_format.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/own_cgroup.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace berth::engine {

namespace {

std::vector<std::string> split_ws(const std::string& line, size_t max_fields = SIZE_MAX) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    if (out.size() + 1 == max_fields) {
      out.push_back(line.substr(i));
      break;
    }
    size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

int64_t read_int(const fs::path& path, int64_t fallback = 0) {
  try {
    const std::string text = read_file(path);
    if (text.starts_with("max")) return fallback;
    return std::stoll(text);
  } catch (const std::exception&) {
    return fallback;
  }
}

std::map<std::string, int64_t> read_key_values(const fs::path& path) {
  std::map<std::string, int64_t> out;
  try {
    std::istringstream in(read_file(path));
    std::string key;
    int64_t value;
    while (in >> key >> value) out[key] = value;
  } catch (const std::exception&) {
  }
  return out;
}

// The container's cgroup directory in one hierarchy (`controller` "" for cgroup v2): its
// cgroupsPath under the hierarchy's mount, or, for a relative --cgroup-parent, under the cgroup
// berthd itself is in there, where runc resolves it.
fs::path cgroup_dir(const fs::path& mount, const std::string& controller,
                    const std::string& cgroups_path) {
  if (cgroups_path.starts_with('/')) return mount / cgroups_path.substr(1);
  if (const auto own = own_cgroup(controller)) return mount / own->substr(1) / cgroups_path;
  return mount / cgroups_path;
}

int64_t system_cpu_nanos() {
  std::istringstream in(read_file("/proc/stat"));
  std::string cpu;
  in >> cpu;
  int64_t total = 0, v;
  for (int i = 0; i < 8 && in >> v; ++i) total += v;
  return total * (1'000'000'000 / sysconf(_SC_CLK_TCK));
}

json network_stats(int pid) {
  json nets = json::object();
  if (pid <= 0) return nets;
  try {
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/net/dev"));
    std::string line;
    std::getline(in, line);
    std::getline(in, line);
    while (std::getline(in, line)) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      name.erase(0, name.find_first_not_of(' '));
      if (name == "lo") continue;
      const auto f = split_ws(line.substr(colon + 1));
      if (f.size() < 16) continue;
      auto n = [&](size_t i) { return std::stoll(f[i]); };
      nets[name] = {{"rx_bytes", n(0)},   {"rx_packets", n(1)}, {"rx_errors", n(2)},
                    {"rx_dropped", n(3)}, {"tx_bytes", n(8)},   {"tx_packets", n(9)},
                    {"tx_errors", n(10)}, {"tx_dropped", n(11)}};
    }
  } catch (const std::exception&) {
  }
  return nets;
}

}  // namespace

json container_top(ContainerManager& containers, const std::string& ref,
                   const std::string& ps_args) {
  const Container c = containers.get(ref);
  if (!c.state.running()) throw Conflict("Container " + c.id + " is not running");
  const auto pids_list = containers.runtime().pids(c.id);
  const std::set<int> pids(pids_list.begin(), pids_list.end());
  std::vector<std::string> argv = {"ps"};
  for (auto& a : split_ws(ps_args.empty() ? "-ef" : ps_args)) argv.push_back(a);
  const auto result = run_capture(argv, {}, std::chrono::milliseconds(10'000));
  if (!result.status.success()) {
    // dockerd's words: the first line of ps's complaint, not its whole usage text.
    const std::string why = result.stderr_data.substr(0, result.stderr_data.find('\n'));
    throw InvalidArgument("ps: " + (why.empty() ? result.status.describe() : why));
  }
  std::istringstream in(result.stdout_data);
  std::string header;
  std::getline(in, header);
  const auto titles = split_ws(header);
  const auto pid_col = std::find(titles.begin(), titles.end(), "PID");
  if (pid_col == titles.end()) throw InvalidArgument("Couldn't find PID field in ps output");
  const size_t pid_index = static_cast<size_t>(pid_col - titles.begin());
  json processes = json::array();
  std::string line;
  while (std::getline(in, line)) {
    const auto fields = split_ws(line, titles.size());
    if (fields.size() <= pid_index) continue;
    try {
      if (pids.contains(std::stoi(fields[pid_index]))) processes.push_back(fields);
    } catch (const std::exception&) {
    }
  }
  return {{"Titles", titles}, {"Processes", processes}};
}

// The eight blkio_stats lists, as dockerd gives them: null for a container that is not running,
// else each list its cgroup has ("MAJ:MIN Op value" lines; v1's throttle files hold the two that
// every kernel keeps) and [] for the rest.
json blkio_stats(const fs::path& blkio) {
  json stats = json::object();
  for (const char* key :
       {"io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive",
        "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive",
        "io_time_recursive", "sectors_recursive"})
    stats[key] = blkio.empty() ? json(nullptr) : json::array();
  if (blkio.empty()) return stats;
  for (const auto& [key, file] :
       {std::pair{"io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive"},
        {"io_serviced_recursive", "blkio.throttle.io_serviced_recursive"}}) {
    std::ifstream in(blkio / file);
    std::string line;
    while (std::getline(in, line)) {
      const auto fields = split_ws(line);
      if (fields.size() != 3) continue;  // the "Total" line
      const auto colon = fields[0].find(':');
      if (colon == std::string::npos) continue;
      try {
        stats[key].push_back({{"major", std::stoll(fields[0].substr(0, colon))},
                              {"minor", std::stoll(fields[0].substr(colon + 1))},
                              {"op", fields[1]},
                              {"value", std::stoll(fields[2])}});
      } catch (const std::exception&) {
      }
    }
  }
  return stats;
}

// cpu.stat's throttling counters (v1: nr_periods, nr_throttled, throttled_time in ns; v2 the
// same with throttled_usec).
json throttling_data(const fs::path& cpu_stat) {
  const auto values = read_key_values(cpu_stat);
  const auto value = [&](const char* key) { return values.contains(key) ? values.at(key) : 0; };
  return {{"periods", value("nr_periods")},
          {"throttled_periods", value("nr_throttled")},
          {"throttled_time", values.contains("throttled_usec") ? value("throttled_usec") * 1000
                                                               : value("throttled_time")}};
}

json container_stats(ContainerManager& containers, const std::string& ref, const json& previous) {
  const Container c = containers.get(ref);
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  // A container that is not running has dockerd's empty sample: zero times and counters.
  const json idle_cpu = {
      {"cpu_usage", {{"total_usage", 0}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}}},
      {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}};
  const bool running = c.state.running();
  json s = {
      {"read", running ? rfc3339_nano(std::chrono::system_clock::now()) : "0001-01-01T00:00:00Z"},
      {"preread", previous.is_object() ? previous.value("read", "0001-01-01T00:00:00Z")
                                       : "0001-01-01T00:00:00Z"},
      {"name", c.name},
      {"id", c.id},
      {"num_procs", 0},
      {"pids_stats", json::object()},
      {"blkio_stats", blkio_stats({})},
      {"storage_stats", json::object()},
      {"cpu_stats", idle_cpu},
      {"precpu_stats", previous.is_object() ? previous["cpu_stats"] : idle_cpu},
      {"memory_stats", json::object()}};
  if (!running) return s;
  s["networks"] = json::object();
  s["cpu_stats"]["online_cpus"] = ncpu;
  const std::string cg = cgroups_path_of(c);
  const fs::path v2 = cgroup_dir("/sys/fs/cgroup", "", cg);
  json& cpu = s["cpu_stats"];
  cpu["system_cpu_usage"] = system_cpu_nanos();
  if (fs::exists(v2 / "cgroup.controllers")) {
    const auto cpu_stat = read_key_values(v2 / "cpu.stat");
    cpu["cpu_usage"] = {
        {"total_usage", cpu_stat.contains("usage_usec") ? cpu_stat.at("usage_usec") * 1000 : 0},
        {"usage_in_usermode", cpu_stat.contains("user_usec") ? cpu_stat.at("user_usec") * 1000 : 0},
        {"usage_in_kernelmode",
         cpu_stat.contains("system_usec") ? cpu_stat.at("system_usec") * 1000 : 0}};
    const auto mem_stat = read_key_values(v2 / "memory.stat");
    s["memory_stats"] = {
        {"usage", read_int(v2 / "memory.current")},
        {"limit", read_int(v2 / "memory.max",
                           static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE))},
        {"stats", mem_stat}};
    s["pids_stats"] = {{"current", read_int(v2 / "pids.current")},
                       {"limit", read_int(v2 / "pids.max", 0)}};
    cpu["throttling_data"] = throttling_data(v2 / "cpu.stat");
    s["blkio_stats"] = blkio_stats(v2);  // io.stat has other names: the lists stay empty
  } else {
    const fs::path root = "/sys/fs/cgroup";
    const auto acct = cgroup_dir(root / "cpuacct", "cpuacct", cg);
    json percpu = json::array();
    try {
      for (const auto& v : split_ws(read_file(acct / "cpuacct.usage_percpu")))
        percpu.push_back(std::stoll(v));
    } catch (const std::exception&) {
    }
    const auto ticks = read_key_values(acct / "cpuacct.stat");
    const int64_t tick_ns = 1'000'000'000 / sysconf(_SC_CLK_TCK);
    cpu["cpu_usage"] = {
        {"total_usage", read_int(acct / "cpuacct.usage")},
        {"percpu_usage", percpu},
        {"usage_in_usermode", ticks.contains("user") ? ticks.at("user") * tick_ns : 0},
        {"usage_in_kernelmode", ticks.contains("system") ? ticks.at("system") * tick_ns : 0}};
    const auto mem = cgroup_dir(root / "memory", "memory", cg);
    s["memory_stats"] = {{"usage", read_int(mem / "memory.usage_in_bytes")},
                         {"max_usage", read_int(mem / "memory.max_usage_in_bytes")},
                         {"limit", read_int(mem / "memory.limit_in_bytes")},
                         {"stats", read_key_values(mem / "memory.stat")}};
    const auto pids = cgroup_dir(root / "pids", "pids", cg);
    s["pids_stats"] = {{"current", read_int(pids / "pids.current")},
                       {"limit", read_int(pids / "pids.max", 0)}};
    cpu["throttling_data"] = throttling_data(cgroup_dir(root / "cpu", "cpu", cg) / "cpu.stat");
    s["blkio_stats"] = blkio_stats(cgroup_dir(root / "blkio", "blkio", cg));
  }
  // Without a limit ("max") dockerd leaves the limit out.
  if (s["pids_stats"].value("limit", int64_t{0}) <= 0) s["pids_stats"].erase("limit");
  // No limit reads as "max" (v2) or almost 2^63 (v1); dockerd reports the machine's memory then.
  const int64_t machine = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  json& memory = s["memory_stats"];
  if (!memory.contains("limit") || memory["limit"].get<int64_t>() <= 0 ||
      memory["limit"].get<int64_t>() > machine)
    memory["limit"] = machine;
  s["networks"] = network_stats(c.state.pid);
  return s;
}

}  // namespace berth::engine
