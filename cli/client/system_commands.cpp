// berth info, events, system df (and system info/events/df).
#include <CLI/CLI.hpp>
#include <ctime>

#include "cli/client/client_env.hpp"
#include "cli/client/go_template.hpp"
#include "cli/client/human_units.hpp"
#include "cli/client/listing.hpp"
#include "cli/client/tab_writer.hpp"
#include "common/time_format.hpp"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

namespace berth::cli::client {

namespace {

// go-units BytesSize: binary units, four significant digits ("23.47GiB").
std::string bytes_size(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < std::size(units)) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.4g%s", bytes, units[unit]);
  return text;
}

int show_info(ClientEnv& env, const std::string& format) {
  auto info = env.engine().call_json("GET", "/info");
  if (!format.empty()) {
    env.out() << (format == "json" ? info.dump() : render_go_template(format, info)) << "\n";
    return 0;
  }
  auto& o = env.out();
  auto s = [&](const char* key) { return go_value_text(info.value(key, Json(""))); };
  o << "Client:\n Version:    " << BERTH_VERSION
    << "\n Context:    default\n Debug Mode: false\n\n";
  o << "Server:\n";
  o << " Containers: " << s("Containers") << "\n  Running: " << s("ContainersRunning")
    << "\n  Paused: " << s("ContainersPaused") << "\n  Stopped: " << s("ContainersStopped") << "\n";
  o << " Images: " << s("Images") << "\n";
  o << " Server Version: " << s("ServerVersion") << "\n";
  o << " Storage Driver: " << s("Driver") << "\n";
  o << " Logging Driver: " << s("LoggingDriver") << "\n";
  o << " Cgroup Driver: " << s("CgroupDriver") << "\n";
  o << " Cgroup Version: " << s("CgroupVersion") << "\n";
  std::string runtimes;
  if (const Json* r = find_field(info, "Runtimes"); r && r->is_object()) {
    for (const auto& [name, _] : r->items()) runtimes += " " + name;
  }
  o << " Runtimes:" << runtimes << "\n";
  o << " Default Runtime: " << s("DefaultRuntime") << "\n";
  if (const Json* swarm = find_field(info, "Swarm")) {
    o << " Swarm: " << get_string(*swarm, "LocalNodeState") << "\n";
  }
  o << " Kernel Version: " << s("KernelVersion") << "\n";
  o << " Operating System: " << s("OperatingSystem") << "\n";
  o << " OSType: " << s("OSType") << "\n";
  o << " Architecture: " << s("Architecture") << "\n";
  o << " CPUs: " << s("NCPU") << "\n";
  o << " Total Memory: " << bytes_size(static_cast<double>(get_int64(info, "MemTotal"))) << "\n";
  o << " Name: " << s("Name") << "\n";
  o << " ID: " << s("ID") << "\n";
  o << " Docker Root Dir: " << s("DockerRootDir") << "\n";
  o << " Debug Mode: " << s("Debug") << "\n";
  o << " Experimental: " << s("ExperimentalBuild") << "\n";
  o << " Live Restore Enabled: " << s("LiveRestoreEnabled") << "\n";
  return 0;
}

std::string event_time(std::int64_t time_nano) {
  std::time_t seconds = static_cast<std::time_t>(time_nano / 1000000000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char date[40], zone[8];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::strftime(zone, sizeof zone, "%z", &tm);
  std::string offset = zone;
  offset = offset == "+0000" ? "Z" : offset.substr(0, 3) + ":" + offset.substr(3);
  char nanos[16];
  std::snprintf(nanos, sizeof nanos, ".%09lld", static_cast<long long>(time_nano % 1000000000));
  return date + std::string(nanos) + offset;
}

struct EventsFlags {
  std::string since, until, format;
  std::vector<std::string> filters;
};

int show_events(ClientEnv& env, const EventsFlags& flags) {
  std::string query;
  auto add = [&](const std::string& p) { query += (query.empty() ? "?" : "&") + p; };
  auto unix = [](const std::string& text) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(parse_docker_time(text).time_since_epoch())
            .count());
  };
  if (!flags.since.empty()) add("since=" + unix(flags.since));
  if (!flags.until.empty()) add("until=" + unix(flags.until));
  if (auto f = filters_query(flags.filters); !f.empty()) add("filters=" + url_encode(f));
  auto stream = env.engine().stream("GET", "/events" + query);
  std::string line;
  while (stream->read_line(line)) {
    if (line.empty()) continue;
    auto event = Json::parse(line, nullptr, false);
    if (event.is_discarded()) continue;
    if (!flags.format.empty()) {
      env.out() << (flags.format == "json" ? event.dump() : render_go_template(flags.format, event))
                << std::endl;
      continue;
    }
    const Json actor = event.value("Actor", Json::object());
    std::string attributes;
    const Json attribute_map = actor.value("Attributes", Json::object());
    for (const auto& [k, v] : attribute_map.items()) {
      attributes += (attributes.empty() ? "" : ", ") + k + "=" + go_value_text(v);
    }
    env.out() << event_time(get_int64(event, "timeNano")) << " " << get_string(event, "Type") << " "
              << get_string(event, "Action") << " " << get_string(actor, "ID")
              << (attributes.empty() ? "" : " (" + attributes + ")") << std::endl;
  }
  return 0;
}

std::string with_percent(std::int64_t reclaimable, std::int64_t total) {
  std::string text = human_size(static_cast<double>(reclaimable), 4);
  if (total > 0) text += " (" + std::to_string(reclaimable * 100 / total) + "%)";
  return text;
}

int show_df(ClientEnv& env, const std::string& format) {
  auto df = env.engine().call_json("GET", "/system/df");
  auto list = [&](const char* key) {
    const Json* j = find_field(df, key);
    return j && j->is_array() ? *j : Json::array();
  };
  std::vector<Json> rows;
  {
    auto images = list("Images");
    std::int64_t total = get_int64(df, "LayersSize"), used = 0, active = 0;
    for (const auto& i : images) {
      if (get_int64(i, "Containers") > 0) {
        ++active;
        used += get_int64(i, "Size") - std::max<std::int64_t>(0, get_int64(i, "SharedSize"));
      }
    }
    rows.push_back({{"Type", "Images"},
                    {"TotalCount", std::to_string(images.size())},
                    {"Active", std::to_string(active)},
                    {"Size", human_size(static_cast<double>(total), 4)},
                    {"Reclaimable", with_percent(total - used, total)}});
  }
  {
    auto containers = list("Containers");
    std::int64_t total = 0, reclaimable = 0, active = 0;
    for (const auto& c : containers) {
      total += get_int64(c, "SizeRw");
      if (get_string(c, "State") == "running")
        ++active;
      else
        reclaimable += get_int64(c, "SizeRw");
    }
    rows.push_back({{"Type", "Containers"},
                    {"TotalCount", std::to_string(containers.size())},
                    {"Active", std::to_string(active)},
                    {"Size", human_size(static_cast<double>(total), 4)},
                    {"Reclaimable", with_percent(reclaimable, total)}});
  }
  {
    auto volumes = list("Volumes");
    std::int64_t total = 0, reclaimable = 0, active = 0;
    for (const auto& v : volumes) {
      const Json usage = v.value("UsageData", Json::object());
      const auto size = std::max<std::int64_t>(0, get_int64(usage, "Size"));
      total += size;
      if (get_int64(usage, "RefCount") > 0)
        ++active;
      else
        reclaimable += size;
    }
    rows.push_back({{"Type", "Local Volumes"},
                    {"TotalCount", std::to_string(volumes.size())},
                    {"Active", std::to_string(active)},
                    {"Size", human_size(static_cast<double>(total), 4)},
                    {"Reclaimable", with_percent(reclaimable, total)}});
  }
  rows.push_back({{"Type", "Build Cache"},
                  {"TotalCount", std::to_string(list("BuildCache").size())},
                  {"Active", "0"},
                  {"Size", "0B"},
                  {"Reclaimable", "0B"}});
  static const ListingStyle style{
      "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
      {{"Type", "TYPE"},
       {"TotalCount", "TOTAL"},
       {"Active", "ACTIVE"},
       {"Size", "SIZE"},
       {"Reclaimable", "RECLAIMABLE"}}};
  env.out() << render_listing(format, rows, style);
  return 0;
}

}  // namespace

void add_system_commands(CLI::App& parent, ClientEnv& env, bool grouped) {
  auto info_format = std::make_shared<std::string>();
  auto* info = parent.add_subcommand("info", "Display system-wide information");
  info->add_option("-f,--format", *info_format, "Format output using a Go template or json");
  info->callback(
      [&env, info_format] { run_command(env, [&] { return show_info(env, *info_format); }); });

  auto events = std::make_shared<EventsFlags>();
  auto* events_cmd = parent.add_subcommand("events", "Get real time events from the engine");
  events_cmd->add_option("--since", events->since, "Show all events created since timestamp");
  events_cmd->add_option("--until", events->until, "Stream events until this timestamp");
  events_cmd->add_option("-f,--filter", events->filters, "Filter output based on conditions")
      ->allow_extra_args(false);
  events_cmd->add_option("--format", events->format, "Format output using a Go template or json");
  events_cmd->callback(
      [&env, events] { run_command(env, [&] { return show_events(env, *events); }); });

  if (grouped) {
    auto df_format = std::make_shared<std::string>();
    auto* df = parent.add_subcommand("df", "Show engine disk usage");
    df->add_option("--format", *df_format, "Format output: table, json or a Go template");
    df->callback([&env, df_format] { run_command(env, [&] { return show_df(env, *df_format); }); });
  }
}

}  // namespace berth::cli::client
