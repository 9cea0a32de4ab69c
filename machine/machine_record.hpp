#pragma once
// What berth remembers about one machine: machines/NAME/config.json. The driver's own state is
// kept opaque (drivers/factory.hpp rebuilds the driver from it).
#include <string>
#include <vector>

#include "common/json.hpp"
#include "machine/provisioner.hpp"

namespace berth::machine {

struct MachineRecord {
  std::string name;
  std::string driver_name;  // "libvirt", "none", …: the factory key
  Json driver_state = Json::object();
  EngineOptions engine;
  std::vector<std::string> tls_sans;  // --tls-san, beyond the IP, name and localhost
  std::string ssh_host_key;           // recorded at the first provisioning ("ssh-ed25519 AAAA…")
  std::string created;                // RFC3339
  // What the last provisioning found; for inspect, and to notice an address change on start.
  std::string ip;
  std::string os_name;
  std::string engine_version;
};

Json record_to_json(const MachineRecord& record);
// Throws InvalidArgument naming the field that is missing or of the wrong type.
MachineRecord record_from_json(const Json& json);

Json engine_options_to_json(const EngineOptions& options);
EngineOptions engine_options_from_json(const Json& json);

}  // namespace berth::machine
