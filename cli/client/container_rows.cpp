#include "cli/client/container_rows.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "cli/client/human_units.hpp"
#include "common/go_quote.hpp"

namespace berth::cli::client {

namespace {

struct Port {
  std::string ip;
  int private_port = 0;
  int public_port = 0;
  std::string type;
};

std::string join_host_port(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                             : host + ":" + std::to_string(port);
}

std::string form_group(const std::string& key, int first, int last) {
  std::string ip, type = key;
  if (auto slash = key.rfind('/'); slash != std::string::npos) {
    ip = key.substr(0, slash);
    type = key.substr(slash + 1);
  }
  std::string group = std::to_string(first);
  if (first != last) group += "-" + std::to_string(last);
  if (!ip.empty()) group = ip + ":" + group + "->" + group;
  return group + "/" + type;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

}  // namespace

std::string displayable_ports(const Json& json) {
  std::vector<Port> ports;
  if (json.is_array()) {
    for (const auto& p : json) {
      ports.push_back({get_string(p, "IP"), static_cast<int>(get_int64(p, "PrivatePort")),
                       static_cast<int>(get_int64(p, "PublicPort")), get_string(p, "Type")});
    }
  }
  std::sort(ports.begin(), ports.end(), [](const Port& a, const Port& b) {
    if (a.private_port != b.private_port) return a.private_port < b.private_port;
    if (a.ip != b.ip) return a.ip < b.ip;
    if (a.public_port != b.public_port) return a.public_port < b.public_port;
    return a.type < b.type;
  });
  struct Group {
    int first, last;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> keys, result, host_mappings;
  for (const auto& port : ports) {
    std::string key = port.type;
    if (!port.ip.empty()) {
      if (port.public_port != port.private_port) {
        host_mappings.push_back(join_host_port(port.ip, port.public_port) + "->" +
                                std::to_string(port.private_port) + "/" + port.type);
        continue;
      }
      key = port.ip + "/" + port.type;
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      groups[key] = {port.private_port, port.private_port};
      keys.push_back(key);
      continue;
    }
    if (port.private_port == it->second.last + 1) {
      it->second.last = port.private_port;
      continue;
    }
    result.push_back(form_group(key, it->second.first, it->second.last));
    it->second = {port.private_port, port.private_port};
  }
  for (const auto& key : keys)
    result.push_back(form_group(key, groups[key].first, groups[key].last));
  result.insert(result.end(), host_mappings.begin(), host_mappings.end());
  return join(result, ", ");
}

const ListingStyle& container_listing_style(bool with_size) {
  static const std::map<std::string, std::string> headers = {
      {"ID", "CONTAINER ID"},    {"Image", "IMAGE"},
      {"Command", "COMMAND"},    {"CreatedAt", "CREATED AT"},
      {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
      {"State", "STATE"},        {"Status", "STATUS"},
      {"Size", "SIZE"},          {"Names", "NAMES"},
      {"Labels", "LABELS"},      {"Mounts", "MOUNTS"},
      {"Networks", "NETWORKS"},  {"LocalVolumes", "LOCAL VOLUMES"},
      {"Platform", "PLATFORM"}};
  static const ListingStyle plain{
      "table "
      "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
      headers};
  static const ListingStyle sized{plain.default_table + "\t{{.Size}}", headers};
  return with_size ? sized : plain;
}

Json container_row(const Json& c, bool truncate, std::chrono::system_clock::time_point now) {
  std::string id = get_string(c, "Id");
  std::string image = get_string(c, "Image");
  std::string command = get_string(c, "Command");
  if (truncate) {
    id = short_id(id);
    if (image.rfind("sha256:", 0) == 0) image = short_id(image);
    if (auto at = image.find("@sha256:"); at != std::string::npos) image = image.substr(0, at);
    command = ellipsis(command, 20);
  }
  std::vector<std::string> names;
  for (const auto& name : get_string_array(c, "Names")) {
    auto bare = name.rfind('/', 0) == 0 ? name.substr(1) : name;
    // Link aliases ("/web/db") are other containers' names for this one: docker hides them.
    if (truncate && bare.find('/') != std::string::npos) continue;
    names.push_back(bare);
  }
  std::vector<std::string> labels;
  for (const auto& [k, v] : get_string_map(c, "Labels")) labels.push_back(k + "=" + v);
  std::vector<std::string> mounts;
  int local_volumes = 0;
  if (const Json* list = find_field(c, "Mounts"); list && list->is_array()) {
    for (const auto& m : *list) {
      std::string name = get_string(m, "Name");
      if (name.empty()) name = get_string(m, "Source");
      mounts.push_back(truncate ? ellipsis(name, 15) : name);
      if (get_string(m, "Driver") == "local") ++local_volumes;
    }
  }
  std::vector<std::string> networks;
  if (const Json* settings = find_field(c, "NetworkSettings")) {
    if (const Json* nets = find_field(*settings, "Networks"); nets && nets->is_object()) {
      for (const auto& [name, _] : nets->items()) networks.push_back(name);
    }
  }
  const auto size_rw = get_int64(c, "SizeRw");
  const auto size_root = get_int64(c, "SizeRootFs");
  std::string size = human_size(static_cast<double>(size_rw));
  if (size_root > 0) size += " (virtual " + human_size(static_cast<double>(size_root)) + ")";
  const auto created = get_int64(c, "Created");
  return Json{
      {"ID", id},
      {"Image", image},
      {"Command", go_quote(command)},
      {"CreatedAt", go_time_string(created)},
      {"RunningFor", time_ago(created, now)},
      {"Ports", displayable_ports(find_field(c, "Ports") ? *find_field(c, "Ports") : Json())},
      {"State", get_string(c, "State")},
      {"Status", get_string(c, "Status")},
      {"Size", size},
      {"Names", join(names, ",")},
      {"Labels", join(labels, ",")},
      {"Mounts", join(mounts, ",")},
      {"Networks", join(networks, ",")},
      // docker 28 shows the image manifest's platform; engines that do not report one
      // (berthd, dockerd before 28) give null, which docker prints as it is.
      {"Platform", nullptr},
      {"LocalVolumes", std::to_string(local_volumes)}};
}

}  // namespace berth::cli::client
