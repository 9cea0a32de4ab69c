// berth stats: one sample per container, in docker's columns; refreshed until interrupted
// unless --no-stream.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <thread>

#include "cli/client/client_env.hpp"
#include "cli/client/human_units.hpp"
#include "cli/client/listing.hpp"

namespace berth::cli::client {

namespace {

struct StatsFlags {
  std::vector<std::string> containers;
  bool all = false, no_stream = false, no_trunc = false;
  std::string format;
};

const Json& member(const Json& j, const char* key) {
  static const Json empty = Json::object();
  const Json* found = j.is_object() ? find_field(j, key) : nullptr;
  return found ? *found : empty;
}

std::string bytes_size(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < std::size(units)) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.4g%s", bytes, units[unit]);
  return text;
}

Json stats_row(const std::string& id, const std::string& name, const Json& s, bool truncate) {
  const Json& cpu = member(s, "cpu_stats");
  const Json& pre = member(s, "precpu_stats");
  const double cpu_delta = static_cast<double>(get_int64(member(cpu, "cpu_usage"), "total_usage") -
                                               get_int64(member(pre, "cpu_usage"), "total_usage"));
  const double system_delta =
      static_cast<double>(get_int64(cpu, "system_cpu_usage") - get_int64(pre, "system_cpu_usage"));
  auto online = get_int64(cpu, "online_cpus");
  if (online == 0)
    online = static_cast<std::int64_t>(member(member(cpu, "cpu_usage"), "percpu_usage").size());
  if (online == 0) online = 1;
  const double cpu_percent = system_delta > 0 && cpu_delta > 0
                                 ? cpu_delta / system_delta * static_cast<double>(online) * 100
                                 : 0;
  const Json& memory = member(s, "memory_stats");
  const Json& mstats = member(memory, "stats");
  std::int64_t usage = get_int64(memory, "usage");
  // docker subtracts the page cache: total_inactive_file (cgroup v1) or inactive_file (v2).
  if (auto v = get_int64(mstats, "total_inactive_file"); v > 0 && v < usage)
    usage -= v;
  else if (auto v2 = get_int64(mstats, "inactive_file"); v2 > 0 && v2 < usage)
    usage -= v2;
  const std::int64_t limit = get_int64(memory, "limit");
  std::int64_t rx = 0, tx = 0;
  for (const auto& [_, n] : member(s, "networks").items()) {
    rx += get_int64(n, "rx_bytes");
    tx += get_int64(n, "tx_bytes");
  }
  std::int64_t read = 0, write = 0;
  const Json& io = member(member(s, "blkio_stats"), "io_service_bytes_recursive");
  if (io.is_array()) {
    for (const auto& entry : io) {
      std::string op = get_string(entry, "op");
      for (auto& c : op) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (op == "read") read += get_int64(entry, "value");
      if (op == "write") write += get_int64(entry, "value");
    }
  }
  char percent[32], mem_percent[32];
  std::snprintf(percent, sizeof percent, "%.2f%%", cpu_percent);
  std::snprintf(mem_percent, sizeof mem_percent, "%.2f%%",
                limit > 0 ? static_cast<double>(usage) / static_cast<double>(limit) * 100 : 0.0);
  return Json{
      {"Container", truncate ? short_id(id) : id},
      {"ID", truncate ? short_id(id) : id},
      {"Name", name},
      {"CPUPerc", percent},
      {"MemUsage",
       bytes_size(static_cast<double>(usage)) + " / " + bytes_size(static_cast<double>(limit))},
      {"MemPerc", mem_percent},
      {"NetIO", human_size(static_cast<double>(rx)) + " / " + human_size(static_cast<double>(tx))},
      {"BlockIO",
       human_size(static_cast<double>(read)) + " / " + human_size(static_cast<double>(write))},
      {"PIDs", std::to_string(get_int64(member(s, "pids_stats"), "current"))}};
}

std::string stats_table(ClientEnv& env, const StatsFlags& flags) {
  std::vector<std::pair<std::string, std::string>> targets;  // id or name as asked, display name
  if (flags.containers.empty()) {
    auto list = env.engine().call_json(
        "GET", std::string("/containers/json") + (flags.all ? "?all=1" : ""));
    for (const auto& c : list) {
      auto names = get_string_array(c, "Names");
      std::string name = names.empty() ? "" : names[0];
      if (!name.empty() && name[0] == '/') name = name.substr(1);
      targets.emplace_back(get_string(c, "Id"), name);
    }
  } else {
    for (const auto& c : flags.containers) targets.emplace_back(c, "");
  }
  std::vector<Json> rows;
  for (const auto& [target, listed_name] : targets) {
    auto s = env.engine().call_json("GET", "/containers/" + url_encode(target) + "/stats?stream=0");
    std::string id = get_string(s, "id");
    if (id.empty()) id = target;
    std::string name = get_string(s, "name");
    if (!name.empty() && name[0] == '/') name = name.substr(1);
    if (name.empty()) name = listed_name;
    rows.push_back(stats_row(id, name, s, !flags.no_trunc));
  }
  static const ListingStyle style{
      "table "
      "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{."
      "PIDs}}",
      {{"ID", "CONTAINER ID"},
       {"Container", "CONTAINER"},
       {"Name", "NAME"},
       {"CPUPerc", "CPU %"},
       {"MemUsage", "MEM USAGE / LIMIT"},
       {"MemPerc", "MEM %"},
       {"NetIO", "NET I/O"},
       {"BlockIO", "BLOCK I/O"},
       {"PIDs", "PIDS"}}};
  return render_listing(flags.format, rows, style);
}

// Without --no-stream docker redraws the table in place on a terminal (clear screen, cursor
// home) and prints one table after another elsewhere, until interrupted.
int stream_stats(ClientEnv& env, const StatsFlags& flags) {
  const bool terminal = ::isatty(1) == 1;
  while (true) {
    const std::string table = stats_table(env, flags);
    if (terminal) env.out() << "\033[2J\033[H";
    env.out() << table;
    env.out().flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

void add_stats_command(CLI::App& parent, ClientEnv& env) {
  auto flags = std::make_shared<StatsFlags>();
  auto* cmd = parent.add_subcommand(
      "stats", "Display a live stream of container(s) resource usage statistics");
  cmd->add_option("containers", flags->containers, "Containers (default: all running)");
  cmd->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
  cmd->add_flag("--no-stream", flags->no_stream,
                "Disable streaming stats and only pull the first result");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Do not truncate output");
  cmd->add_option("--format", flags->format, "Format output: table, json or a Go template");
  cmd->callback([&env, flags] {
    run_command(env, [&] {
      if (!flags->no_stream) return stream_stats(env, *flags);
      env.out() << stats_table(env, *flags);
      return 0;
    });
  });
}

}  // namespace berth::cli::client
