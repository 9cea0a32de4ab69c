#include "engine/containers/container.hpp"

#include <chrono>

#include "common/time_format.hpp"

namespace berth::engine {

bool Container::tty() const {
  return config.value("Tty", false);
}

bool Container::keeps_no_log() const {
  const auto it = host_config.find("LogConfig");
  return it != host_config.end() && it->is_object() && it->value("Type", "") == "none";
}

namespace {
nlohmann::json links_record(const std::vector<ContainerLink>& links) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& link : links)
    out.push_back(
        {{"ChildID", link.child_id}, {"ChildName", link.child_name}, {"Alias", link.alias}});
  return out;
}
}  // namespace

nlohmann::json Container::to_record() const {
  return {{"Id", id},
          {"Name", name},
          {"Created", created},
          {"Image", image},
          {"ImageID", image_id},
          {"Config", config},
          {"HostConfig", host_config},
          {"Path", path},
          {"Args", args},
          {"State",
           {{"Status", state.status},
            {"Pid", state.pid},
            {"ExitCode", state.exit_code},
            {"OOMKilled", state.oom_killed},
            {"Error", state.error},
            {"StartedAt", state.started_at},
            {"FinishedAt", state.finished_at},
            {"Health", state.health}}},
          {"RestartCount", restart_count},
          {"ManuallyStopped", manually_stopped},
          {"HasBeenStarted", has_been_started},
          {"Runtime", runtime},
          {"Network", network},
          {"Links", links_record(links)}};
}

Container Container::from_record(const nlohmann::json& j) {
  Container c;
  c.id = j.at("Id");
  c.name = j.at("Name");
  c.created = j.value("Created", "");
  c.image = j.value("Image", "");
  c.image_id = j.value("ImageID", "");
  c.config = j.value("Config", nlohmann::json::object());
  c.host_config = j.value("HostConfig", nlohmann::json::object());
  c.path = j.value("Path", "");
  c.args = j.value("Args", std::vector<std::string>{});
  const auto& s = j.at("State");
  c.state.status = s.value("Status", "created");
  c.state.pid = s.value("Pid", 0);
  c.state.exit_code = s.value("ExitCode", 0);
  c.state.oom_killed = s.value("OOMKilled", false);
  c.state.error = s.value("Error", "");
  c.state.started_at = s.value("StartedAt", c.state.started_at);
  c.state.finished_at = s.value("FinishedAt", c.state.finished_at);
  c.state.health = s.value("Health", nlohmann::json());
  c.restart_count = j.value("RestartCount", 0);
  c.manually_stopped = j.value("ManuallyStopped", false);
  c.has_been_started = j.value("HasBeenStarted", false);
  c.runtime = j.value("Runtime", "runc");
  c.network = j.value("Network", nlohmann::json());
  for (const auto& link : j.value("Links", nlohmann::json::array()))
    c.links.push_back(
        {link.value("ChildID", ""), link.value("ChildName", ""), link.value("Alias", "")});
  return c;
}

std::string network_mode_of(const nlohmann::json& host_config) {
  const std::string mode = host_config.value("NetworkMode", "default");
  return mode == "default" || mode.empty() ? "bridge" : mode;
}

std::string network_donor_id(const Container& c) {
  const std::string mode = network_mode_of(c.host_config);
  return mode.starts_with("container:") ? mode.substr(10) : "";
}

std::string cgroups_path_of(const Container& c) {
  std::string parent = c.host_config.value("CgroupParent", "");
  if (parent.empty()) return "/berth/" + c.id;
  while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
  return parent == "/" ? "/" + c.id : parent + "/" + c.id;
}

std::map<std::string, std::string> event_attributes(const Container& c,
                                                    std::map<std::string, std::string> extra) {
  extra["name"] = c.bare_name();
  extra["image"] = c.image;
  if (c.config.contains("Labels") && c.config["Labels"].is_object())
    for (const auto& [k, v] : c.config["Labels"].items())
      if (v.is_string() && !extra.contains(k)) extra[k] = v.get<std::string>();
  return extra;
}

TimePoint created_time(const Container& c) {
  try {
    return parse_rfc3339(c.created);
  } catch (const std::exception&) {
    return TimePoint{};
  }
}

bool created_before(const Container& a, const Container& b) {
  return created_time(a) < created_time(b);
}

std::string human_duration(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  const int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  const int64_t hours = (seconds + 1800) / 3600;  // docker rounds hours
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(hours / 24 / 365) + " years";
}

namespace {
int64_t seconds_since(const std::string& rfc3339) {
  try {
    const auto t = parse_rfc3339(rfc3339);
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - t)
        .count();
  } catch (const std::exception&) {
    return 0;
  }
}
}  // namespace

std::string human_status(const Container& c) {
  const auto& s = c.state;
  if (s.status == "running") {
    std::string text = "Up " + human_duration(seconds_since(s.started_at));
    const std::string health = s.health.is_object() ? s.health.value("Status", "") : "";
    if (health == "starting") text += " (health: starting)";
    if (health == "healthy" || health == "unhealthy") text += " (" + health + ")";
    return text;
  }
  if (s.status == "paused")
    return "Up " + human_duration(seconds_since(s.started_at)) + " (Paused)";
  if (s.status == "restarting")
    return "Restarting (" + std::to_string(s.exit_code) + ") " +
           human_duration(seconds_since(s.finished_at)) + " ago";
  if (s.status == "removing") return "Removal In Progress";
  if (s.status == "dead") return "Dead";
  if (s.status == "exited")
    return "Exited (" + std::to_string(s.exit_code) + ") " +
           human_duration(seconds_since(s.finished_at)) + " ago";
  return "Created";
}

}  // namespace berth::engine
