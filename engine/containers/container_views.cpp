#include "engine/containers/container_views.hpp"

#include <filesystem>
#include <regex>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/time_format.hpp"
#include "engine/containers/container_manager.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace berth::engine {

namespace {

int64_t unix_seconds(const std::string& rfc3339) {
  try {
    return std::chrono::duration_cast<std::chrono::seconds>(
               parse_rfc3339(rfc3339).time_since_epoch())
        .count();
  } catch (const std::exception&) {
    return 0;
  }
}

std::string network_name(const Container& c) {
  const std::string mode = c.host_config.value("NetworkMode", "default");
  if (mode == "default" || mode.empty() || mode == "bridge") return "bridge";
  return mode == "none" ? "none" : mode;
}

// NetworkSettings.Networks: the attachment's view while running, an empty endpoint otherwise.
json networks_json(const Container& c) {
  const std::string name = network_name(c);
  json endpoint = {{"IPAMConfig", nullptr}, {"Links", nullptr},        {"Aliases", nullptr},
                   {"MacAddress", ""},      {"NetworkID", ""},         {"EndpointID", ""},
                   {"Gateway", ""},         {"IPAddress", ""},         {"IPPrefixLen", 0},
                   {"IPv6Gateway", ""},     {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0},
                   {"DriverOpts", nullptr}, {"DNSNames", nullptr}};
  if (c.network.is_object() && c.network.contains("inspect")) {
    const json& view = c.network["inspect"];
    if (view.contains("Networks") && view["Networks"].contains(name))
      endpoint = view["Networks"][name];
  }
  return {{name, endpoint}};
}

json ports_json(const Container& c) {
  if (c.network.is_object() && c.network.contains("inspect") &&
      c.network["inspect"].contains("Ports"))
    return c.network["inspect"]["Ports"];
  json ports = json::object();
  if (c.config.contains("ExposedPorts") && c.config["ExposedPorts"].is_object())
    for (const auto& [k, _] : c.config["ExposedPorts"].items()) ports[k] = nullptr;
  return ports;
}

int64_t directory_size(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (const auto& f :
       fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec))
    if (f.is_regular_file(ec) && !f.is_symlink(ec)) total += static_cast<int64_t>(f.file_size(ec));
  return total;
}

json mounts_json(const Container& c) {
  json mounts = json::array();
  if (c.host_config.contains("Binds") && c.host_config["Binds"].is_array()) {
    for (const auto& b : c.host_config["Binds"]) {
      const std::string bind = b.get<std::string>();
      const auto first = bind.find(':');
      const std::string src = bind.substr(0, first);
      std::string rest = bind.substr(first + 1);
      const auto second = rest.find(':');
      const std::string dst = rest.substr(0, second);
      const std::string mode = second == std::string::npos ? "" : rest.substr(second + 1);
      mounts.push_back({{"Type", "bind"},
                        {"Source", src},
                        {"Destination", dst},
                        {"Mode", mode},
                        {"RW", mode.find("ro") == std::string::npos},
                        {"Propagation", "rprivate"}});
    }
  }
  // --mount entries, as docker inspect shows them.
  if (c.host_config.contains("Mounts") && c.host_config["Mounts"].is_array()) {
    for (const auto& m : c.host_config["Mounts"]) {
      const std::string type = m.value("Type", "");
      const bool read_only = m.value("ReadOnly", false);
      json entry = {{"Type", type},
                    {"Source", m.value("Source", "")},
                    {"Destination", m.value("Target", "")},
                    {"Mode", ""},
                    {"RW", !read_only},
                    {"Propagation", type == "bind" ? "rprivate" : ""}};
      mounts.push_back(std::move(entry));
    }
  }
  return mounts;
}

}  // namespace

json inspect_json(const Container& c, const ContainerManager& m) {
  const auto& s = c.state;
  const std::string dir = m.container_dir(c.id);
  json config = c.config;
  config["Image"] = c.image;
  for (const char* key : {"Hostname", "Domainname", "User", "WorkingDir"})
    if (!config.contains(key)) config[key] = "";
  for (const char* key :
       {"AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"})
    if (!config.contains(key)) config[key] = false;
  json network = networks_json(c);
  json settings = {{"Bridge", ""},
                   {"SandboxID", c.network.is_object() ? c.id : ""},
                   {"SandboxKey", c.network.is_object() ? c.network.value("netns_path", "") : ""},
                   {"HairpinMode", false},
                   {"LinkLocalIPv6Address", ""},
                   {"LinkLocalIPv6PrefixLen", 0},
                   {"Ports", ports_json(c)},
                   {"Networks", network}};
  if (network.contains("bridge")) {
    const json& ep = network["bridge"];
    for (const char* key : {"EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress",
                            "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPv6Gateway"})
      settings[key] = ep.value(key, json());
  }
  const bool running = s.status == "running" || s.status == "paused";
  json inspect = {{"Id", c.id},
                  {"Created", c.created},
                  {"Path", c.path},
                  {"Args", c.args},
                  {"State",
                   {{"Status", s.status},
                    {"Running", running || s.status == "restarting"},
                    {"Paused", s.status == "paused"},
                    {"Restarting", s.status == "restarting"},
                    {"OOMKilled", s.oom_killed},
                    {"Dead", s.status == "dead"},
                    {"Pid", s.pid},
                    {"ExitCode", s.exit_code},
                    {"Error", s.error},
                    {"StartedAt", s.started_at},
                    {"FinishedAt", s.finished_at}}},
                  {"Image", c.image_id},
                  {"ResolvConfPath", dir + "/resolv.conf"},
                  {"HostnamePath", dir + "/hostname"},
                  {"HostsPath", dir + "/hosts"},
                  {"LogPath", m.log_path(c.id)},
                  {"Name", c.name},
                  {"RestartCount", c.restart_count},
                  {"Driver", "overlay2"},
                  {"Platform", "linux"},
                  {"MountLabel", ""},
                  {"ProcessLabel", ""},
                  {"AppArmorProfile", ""},
                  {"ExecIDs", nullptr},
                  {"HostConfig", c.host_config},
                  {"GraphDriver",
                   {{"Name", "overlay2"},
                    {"Data",
                     {{"MergedDir", m.rootfs_dir(c.id)},
                      {"UpperDir", dir + "/rw/upper"},
                      {"WorkDir", dir + "/rw/work"}}}}},
                  {"Mounts", mounts_json(c)},
                  {"Config", config},
                  {"NetworkSettings", settings}};
  // Absent, not null, without a health check: docker's omitempty, which templates rely on.
  if (!s.health.is_null()) inspect["State"]["Health"] = s.health;
  return inspect;
}

json ContainerManager::inspect(const std::string& ref) const {
  return inspect_json(get(ref), *this);
}

json summary_json(const Container& c, bool with_size, const ContainerManager& m) {
  std::string command = c.path;
  for (const auto& a : c.args)
    command += " " + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
  json ports = json::array();
  const json port_map = ports_json(c);
  for (const auto& [key, bindings] : port_map.items()) {
    const auto slash = key.find('/');
    const int private_port = std::stoi(key.substr(0, slash));
    const std::string type = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!bindings.is_array() || bindings.empty()) {
      ports.push_back({{"PrivatePort", private_port}, {"Type", type}});
      continue;
    }
    for (const auto& b : bindings)
      ports.push_back({{"IP", b.value("HostIp", "0.0.0.0")},
                       {"PrivatePort", private_port},
                       {"PublicPort", std::stoi(b.value("HostPort", "0"))},
                       {"Type", type}});
  }
  json row = {{"Id", c.id},
              {"Names", {c.name}},
              {"Image", c.image},
              {"ImageID", c.image_id},
              {"Command", command},
              {"Created", unix_seconds(c.created)},
              {"Ports", ports},
              {"Labels", c.config.value("Labels", json::object())},
              {"State", c.state.status},
              {"Status", human_status(c)},
              {"HostConfig", {{"NetworkMode", c.host_config.value("NetworkMode", "default")}}},
              {"NetworkSettings", {{"Networks", networks_json(c)}}},
              {"Mounts", mounts_json(c)}};
  if (with_size) {
    row["SizeRw"] = directory_size(m.container_dir(c.id) + "/rw/upper");
    row["SizeRootFs"] = row["SizeRw"];
  }
  return row;
}

ContainerFilter ContainerFilter::parse(const std::string& filters_json) {
  ContainerFilter f;
  static const std::vector<std::string> known = {"status", "name",    "label",  "id",    "ancestor",
                                                 "exited", "network", "before", "since", "health"};
  f.terms_ = parse_docker_filters(filters_json);
  for (const auto& [key, values] : f.terms_)
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw InvalidArgument("invalid filter '" + key + "'");
  static const std::vector<std::string> statuses = {"created", "restarting", "running", "removing",
                                                    "paused",  "exited",     "dead"};
  for (const auto& s : f.values("status"))
    if (std::find(statuses.begin(), statuses.end(), s) == statuses.end())
      throw InvalidArgument("invalid filter 'status=" + s + "'");
  return f;
}

void ContainerFilter::resolve_references(
    const std::function<std::string(const std::string&)>& created_of) {
  for (auto [key, bound] : {std::pair{"before", &before_}, std::pair{"since", &since_}}) {
    const auto& refs = values(key);
    if (refs.size() > 1)
      throw InvalidArgument(std::string("more than one '") + key + "' filter: give one container");
    if (!refs.empty()) *bound = parse_rfc3339(created_of(refs.front()));
  }
}

const std::vector<std::string>& ContainerFilter::values(const std::string& key) const {
  static const std::vector<std::string> none;
  auto it = terms_.find(key);
  return it == terms_.end() ? none : it->second;
}

bool ContainerFilter::matches(
    const Container& c, const std::function<std::string(const std::string&)>& resolve_image) const {
  auto any = [&](const std::string& key, auto&& pred) {
    const auto& v = values(key);
    return v.empty() || std::any_of(v.begin(), v.end(), pred);
  };
  if (!any("status", [&](const std::string& s) { return s == c.state.status; })) return false;
  if (!any("id", [&](const std::string& s) { return c.id.starts_with(s); })) return false;
  if (!any("name", [&](const std::string& s) {
        try {
          return std::regex_search(c.bare_name(), std::regex(s)) ||
                 std::regex_search(c.name, std::regex(s));
        } catch (const std::regex_error&) {
          return c.bare_name().find(s) != std::string::npos;
        }
      }))
    return false;
  if (!any("exited", [&](const std::string& s) {
        return c.state.status == "exited" && std::to_string(c.state.exit_code) == s;
      }))
    return false;
  const json labels = c.config.value("Labels", json::object());
  if (!any("label", [&](const std::string& s) {
        const auto eq = s.find('=');
        const std::string key = s.substr(0, eq);
        if (!labels.contains(key)) return false;
        return eq == std::string::npos || labels[key] == s.substr(eq + 1);
      }))
    return false;
  // Labels are AND'ed in docker, unlike the other keys.
  for (const auto& s : values("label")) {
    const auto eq = s.find('=');
    const std::string key = s.substr(0, eq);
    if (!labels.contains(key) || (eq != std::string::npos && labels[key] != s.substr(eq + 1)))
      return false;
  }
  if (!any("ancestor", [&](const std::string& s) {
        if (c.image == s || c.image_id == s || c.image_id.starts_with("sha256:" + s)) return true;
        const std::string id = resolve_image(s);
        return !id.empty() && id == c.image_id;
      }))
    return false;
  if (!any("network", [&](const std::string& s) { return network_name(c) == s; })) return false;
  if (!any("health", [&](const std::string& s) {
        const std::string h = c.state.health.is_object() ? c.state.health.value("Status", "") : "";
        return s == (h.empty() ? "none" : h);
      }))
    return false;
  if (before_ || since_) {
    const auto created = parse_rfc3339(c.created);
    if (before_ && created >= *before_) return false;
    if (since_ && created <= *since_) return false;
  }
  return true;
}

}  // namespace berth::engine
