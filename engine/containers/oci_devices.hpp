#pragma once
// Device nodes and the devices-cgroup rules of a container's OCI spec, as dockerd sets them:
// its default allow list, --device and --device-cgroup-rule, or every host device for
// --privileged.
#include <nlohmann/json.hpp>

namespace berth::engine {

struct OciDevices {
  nlohmann::json devices = nlohmann::json::array();  // linux.devices
  nlohmann::json rules = nlohmann::json::array();    // linux.resources.devices
};

// Throws InvalidArgument naming a bad --device path or cgroup rule.
OciDevices make_devices(const nlohmann::json& host_config);

}  // namespace berth::engine
