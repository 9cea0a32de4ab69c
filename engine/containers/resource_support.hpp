#pragma once
// Resource limits this kernel's cgroups cannot apply are dropped at create with dockerd's warnings
// (daemon_unix.go, verifyPlatformContainerResources), never kept as if they worked: block I/O
// weight per device, the four throttles, and the CPU real-time period and runtime.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::engine {

// Clears the unsupported fields of `host_config` and returns dockerd's warning for each; throws
// InvalidArgument for a real-time runtime above its period.
std::vector<std::string> discard_unsupported_resources(nlohmann::json& host_config);

}  // namespace berth::engine
