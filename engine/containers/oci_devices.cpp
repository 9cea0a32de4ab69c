#include "engine/containers/oci_devices.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

json rule(bool allow, const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
          const std::string& access) {
  json r = {{"allow", allow}};
  if (type != nullptr) r["type"] = type;
  if (major) r["major"] = *major;
  if (minor) r["minor"] = *minor;
  r["access"] = access;
  return r;
}

// dockerd's defaults (oci.DefaultLinuxSpec): deny all, then allow zero, null, urandom, random,
// tty and console; deny /dev/net/tun. The runtime adds pts, ptmx and mknod rules of its own.
json default_rules() {
  return json::array({
      rule(false, nullptr, std::nullopt, std::nullopt, "rwm"),
      rule(true, "c", 1, 5, "rwm"),
      rule(true, "c", 1, 3, "rwm"),
      rule(true, "c", 1, 9, "rwm"),
      rule(true, "c", 1, 8, "rwm"),
      rule(true, "c", 5, 0, "rwm"),
      rule(true, "c", 5, 1, "rwm"),
      rule(false, "c", 10, 229, "rwm"),
  });
}

std::optional<json> device_node(const std::string& host_path, const std::string& container_path) {
  struct stat st {};
  if (::lstat(host_path.c_str(), &st) != 0) return std::nullopt;
  const char* type = S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b" : nullptr;
  if (type == nullptr) return std::nullopt;
  return json{{"path", container_path},
              {"type", type},
              {"major", static_cast<int64_t>(major(st.st_rdev))},
              {"minor", static_cast<int64_t>(minor(st.st_rdev))},
              {"fileMode", static_cast<int64_t>(st.st_mode & 07777)},
              {"uid", static_cast<int64_t>(st.st_uid)},
              {"gid", static_cast<int64_t>(st.st_gid)}};
}

// Every device node under /dev, skipping what runc's HostDevices skips (the container gets its
// own pts, shm and mqueue).
json host_devices() {
  static const std::set<std::string> kSkipDirs = {"pts",  "shm",         "fd",   "mqueue",
                                                  ".lxc", ".lxd-mounts", ".udev"};
  json devices = json::array();
  std::error_code ec;
  namespace fs = std::filesystem;
  fs::recursive_directory_iterator it("/dev", fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
      if (kSkipDirs.contains(entry.path().filename().string())) it.disable_recursion_pending();
      continue;
    }
    const std::string path = entry.path().string();
    if (path == "/dev/console") continue;
    if (auto node = device_node(path, path)) devices.push_back(std::move(*node));
  }
  return devices;
}

// "c 1:3 rwm", "b *:* m", "a *:* rwm".
json parse_cgroup_rule(const std::string& text) {
  static const std::regex kRule(R"(^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$)");
  std::smatch m;
  if (!std::regex_match(text, m, kRule)) {
    throw InvalidArgument("invalid device cgroup format '" + text + "'");
  }
  auto number = [](const std::string& s) -> std::optional<int64_t> {
    if (s == "*") return std::nullopt;
    return std::stoll(s);
  };
  const std::string type = m[1];
  return rule(true, type.c_str(), number(m[2]), number(m[3]), m[4]);
}

// dockerd's DevicesFromPath: the node itself (through a symbolic link, as /dev/disk/by-id/…
// are), or every device node below a directory (`--device /dev/snd`), each at the same place
// under the container path. Nothing found: empty.
std::vector<json> devices_from_path(const std::string& host_path,
                                    const std::string& container_path) {
  std::string resolved = host_path;
  struct stat st {};
  if (::lstat(host_path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    std::error_code ec;
    const auto target = std::filesystem::canonical(host_path, ec);
    if (!ec) resolved = target.string();
  }
  if (auto node = device_node(resolved, container_path)) return {std::move(*node)};
  std::vector<json> nodes;
  std::error_code ec;
  if (!std::filesystem::is_directory(resolved, ec)) return nodes;
  for (auto it = std::filesystem::recursive_directory_iterator(
           resolved, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string path = it->path().string();
    if (auto node = device_node(path, container_path + path.substr(resolved.size())))
      nodes.push_back(std::move(*node));
  }
  return nodes;
}

}  // namespace

OciDevices make_devices(const json& host_config) {
  OciDevices out;
  if (get_bool(host_config, "Privileged")) {
    out.devices = host_devices();
    out.rules = json::array({rule(true, nullptr, std::nullopt, std::nullopt, "rwm")});
    return out;
  }
  out.rules = default_rules();
  if (const json* list = find_field(host_config, "Devices")) {
    if (!list->is_array()) throw InvalidArgument("field \"Devices\" must be an array");
    for (const auto& d : *list) {
      const std::string host_path = get_string(d, "PathOnHost");
      std::string container_path = get_string(d, "PathInContainer");
      std::string permissions = get_string(d, "CgroupPermissions", "rwm");
      if (container_path.empty()) container_path = host_path;
      std::vector<json> nodes = devices_from_path(host_path, container_path);
      if (nodes.empty()) {
        // The reason as Go words it (dockerd's lstat): "no such file or directory".
        struct stat st {};
        std::string reason = "not a device node";
        if (::lstat(host_path.c_str(), &st) != 0) {
          reason = std::strerror(errno);
          reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
        }
        throw InvalidArgument("error gathering device information while adding custom device \"" +
                              host_path + "\": " + reason);
      }
      for (auto& node : nodes) {
        out.rules.push_back(rule(true, node["type"].get<std::string>().c_str(),
                                 node["major"].get<int64_t>(), node["minor"].get<int64_t>(),
                                 permissions.empty() ? "rwm" : permissions));
        out.devices.push_back(std::move(node));
      }
    }
  }
  for (const auto& text : get_string_array(host_config, "DeviceCgroupRules")) {
    out.rules.push_back(parse_cgroup_rule(text));
  }
  return out;
}

}  // namespace berth::engine
