#include "engine/containers/own_cgroup.hpp"

#include <fstream>

#include "common/split.hpp"

namespace berth::engine {

std::optional<std::string> own_cgroup(const std::string& controller) {
  std::ifstream own("/proc/self/cgroup");
  std::string line;
  while (std::getline(own, line)) {  // "4:memory:/path", "2:cpu,cpuacct:/path", "0::/path"
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    bool match = controllers.empty() && controller.empty();
    if (!controller.empty())
      for (const auto& name : split(controllers, ',')) match |= name == controller;
    if (match) return line.substr(second + 1);
  }
  return std::nullopt;
}

}  // namespace berth::engine
