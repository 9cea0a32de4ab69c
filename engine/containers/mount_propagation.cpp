#include "engine/containers/mount_propagation.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {
namespace {

struct HostMount {
  std::string mount_point;
  bool shared = false;  // optional field shared:N
  bool slave = false;   // optional field master:N
};

// mountinfo writes space, tab, newline and backslash in paths as octal escapes (\040).
std::string unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() &&
        std::isdigit(static_cast<unsigned char>(field[i + 1]))) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::vector<HostMount> host_mounts() {
  std::vector<HostMount> mounts;
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  while (std::getline(info, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point, options, optional;
    fields >> id >> parent >> device >> root >> mount_point >> options;
    HostMount m;
    m.mount_point = unescape(mount_point);
    while (fields >> optional && optional != "-") {
      if (optional.starts_with("shared:")) m.shared = true;
      if (optional.starts_with("master:")) m.slave = true;
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

bool within(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return true;
  return path == mount_point || (path.starts_with(mount_point) && path[mount_point.size()] == '/');
}

// The mount holding `path`: the last one mounted on the deepest mount point above it (a later
// mount on the same point hides the earlier ones).
const HostMount* holder(const std::vector<HostMount>& mounts, const std::string& path) {
  const HostMount* best = nullptr;
  for (const auto& m : mounts)
    if (within(path, m.mount_point) && (!best || m.mount_point.size() >= best->mount_point.size()))
      best = &m;
  return best;
}

}  // namespace

void check_bind_propagation(const nlohmann::json& mounts) {
  std::vector<HostMount> host;
  for (const auto& m : mounts) {
    if (m.value("type", "") != "bind" || !m.contains("options")) continue;
    bool wants_shared = false, wants_slave = false;
    for (const auto& option : m["options"]) {
      const std::string o = option.is_string() ? option.get<std::string>() : "";
      wants_shared |= o == "shared" || o == "rshared";
      wants_slave |= o == "slave" || o == "rslave";
    }
    if (!wants_shared && !wants_slave) continue;
    if (host.empty()) host = host_mounts();
    const std::string source = m.value("source", "");
    std::error_code ec;
    const std::string real = std::filesystem::canonical(source, ec).string();
    const HostMount* on = holder(host, ec ? source : real);
    if (!on) continue;
    if (wants_shared && !on->shared)
      throw InvalidArgument("path " + source + " is mounted on " + on->mount_point +
                            " but it is not a shared mount");
    if (wants_slave && !on->shared && !on->slave)
      throw InvalidArgument("path " + source + " is mounted on " + on->mount_point +
                            " but it is not a shared or slave mount");
  }
}

}  // namespace berth::engine
