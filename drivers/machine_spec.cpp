#include "common/error.hpp"
#include "drivers/driver.hpp"

namespace berth::drivers {

std::string_view state_name(MachineState state) {
  switch (state) {
    case MachineState::Running:
      return "Running";
    case MachineState::Stopped:
      return "Stopped";
    case MachineState::Paused:
      return "Paused";
    case MachineState::Starting:
      return "Starting";
    case MachineState::Error:
      return "Error";
  }
  return "Error";
}

std::string_view network_mode_name(NetworkMode mode) {
  return mode == NetworkMode::User ? "user" : "nat";
}

NetworkMode parse_network_mode(std::string_view name) {
  if (name == "nat") return NetworkMode::Nat;
  if (name == "user") return NetworkMode::User;
  throw InvalidArgument("unknown network mode \"" + std::string(name) +
                        "\": use \"nat\" (a libvirt NAT network, machines reach each other) or "
                        "\"user\" (ports forwarded to 127.0.0.1 only)");
}

void validate_machine_name(std::string_view name) {
  auto fail = [&](const std::string& why) {
    throw InvalidArgument("invalid machine name \"" + std::string(name) + "\": " + why +
                          " — a machine name becomes its hostname, so use 1 to 63 lower-case "
                          "letters, digits and '-', not starting or ending with '-'");
  };
  if (name.empty()) fail("it is empty");
  if (name.size() > 63) fail("it is longer than 63 characters");
  if (name.front() == '-' || name.back() == '-') fail("it starts or ends with '-'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) fail(std::string("it contains '") + c + "'");
  }
}

void validate_engine_file_path(std::string_view path) {
  auto fail = [&](const std::string& why) {
    throw InvalidArgument("invalid engine file \"" + std::string(path) + "\": " + why +
                          " — name a file under /etc/berth with a relative path such as "
                          "\"daemon.json\" or \"certs/ca.pem\"");
  };
  if (path.empty()) fail("the path is empty");
  if (path.size() > 255) fail("the path is longer than 255 characters");
  if (path.front() == '/') fail("the path is absolute");
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto part = path.substr(start, end - start);
    if (part.empty()) fail("the path has an empty part");
    if (part == "." || part == "..") fail("the path has a \".\" or \"..\" part");
    for (char c : part) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
      if (!ok) fail(std::string("it contains '") + c + "'");
    }
    start = end + 1;
  }
}

Json spec_to_json(const MachineSpec& spec) {
  return Json{{"name", spec.name},
              {"cpus", spec.cpus},
              {"memory_mib", spec.memory_mib},
              {"disk_gb", spec.disk_gb},
              {"network", network_mode_name(spec.network)},
              {"image_dir", spec.image_dir},
              {"machine_dir", spec.machine_dir},
              {"ssh_public_key", spec.ssh_public_key}};
}

MachineSpec spec_from_json(const Json& json) {
  if (!json.is_object()) throw InvalidArgument("machine spec must be a JSON object");
  MachineSpec spec;
  spec.name = get_string(json, "name");
  spec.cpus = static_cast<int>(get_int64(json, "cpus", spec.cpus));
  spec.memory_mib = get_int64(json, "memory_mib", spec.memory_mib);
  spec.disk_gb = get_int64(json, "disk_gb", spec.disk_gb);
  spec.network = parse_network_mode(get_string(json, "network", "nat"));
  spec.image_dir = get_string(json, "image_dir");
  spec.machine_dir = get_string(json, "machine_dir");
  spec.ssh_public_key = get_string(json, "ssh_public_key");
  return spec;
}

}  // namespace berth::drivers
