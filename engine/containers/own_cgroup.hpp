#pragma once
// Where this process sits in a cgroup hierarchy, from /proc/self/cgroup.
#include <optional>
#include <string>

namespace berth::engine {

// The path ("/system.slice/berthd.service") of this process's cgroup in the v1 hierarchy that
// holds `controller` ("pids", "memory", …), or in the cgroup v2 tree for "". None when the
// hierarchy is not there.
std::optional<std::string> own_cgroup(const std::string& controller);

}  // namespace berth::engine
