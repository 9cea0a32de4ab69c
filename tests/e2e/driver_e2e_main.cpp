// driver_e2e: a thin command line over the machine drivers, so tests/e2e scripts can drive a real
// libvirt machine step by step and check each step from outside (ssh, virsh).
//
//   driver_e2e STATE create NAME --image-dir D --machine-dir M --key FILE.pub [--network nat|user]
//              [--uri U] [--pool P] [--pool-path P] [--net N] [--bridge B] [--subnet S]
//              [--cpus N] [--memory MIB] [--disk-gb N] [--stop-timeout S] [--virt-type
//              auto|kvm|qemu] [--engine-files DIR]
//   driver_e2e STATE start|stop|restart|kill|remove|state|ip|ssh-port|url|json
//   driver_e2e STATE wait SECONDS            until the guest agent answers
//   driver_e2e STATE agent JSON              raw guest agent command (virDomainQemuAgentCommand)
//   driver_e2e STATE addresses agent|lease   virDomainInterfaceAddresses
//   driver_e2e STATE leases                  virNetworkGetDHCPLeases on the machine's network
//
// STATE is the file that holds the driver's to_json() (written by create, even when it fails, so
// that remove can clean up). Errors print "error: <message>" and exit 1.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "drivers/factory.hpp"
#include "drivers/libvirt/libvirt_driver.hpp"
#include "drivers/libvirt/libvirt_hypervisor.hpp"

using namespace berth;
using namespace berth::drivers;
using namespace berth::drivers::libvirt;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::map<std::string, std::string> options(const std::vector<std::string>& args, std::size_t from) {
  std::map<std::string, std::string> out;
  for (std::size_t i = from; i + 1 < args.size(); i += 2) {
    if (args[i].rfind("--", 0) != 0) throw InvalidArgument("expected an --option, got " + args[i]);
    out[args[i].substr(2)] = args[i + 1];
  }
  return out;
}

std::unique_ptr<LibvirtDriver> load(const std::string& state_file) {
  Json state = Json::parse(read_file(state_file));
  return LibvirtDriver::from_json(state);
}

int create(const std::string& state_file, const std::vector<std::string>& args) {
  if (args.size() < 3) throw InvalidArgument("create needs a machine name");
  auto opt = options(args, 3);
  auto get = [&](const std::string& key, const std::string& fallback) {
    auto it = opt.find(key);
    return it == opt.end() ? fallback : it->second;
  };
  MachineSpec spec;
  spec.name = args[2];
  spec.image_dir = get("image-dir", "");
  spec.machine_dir = get("machine-dir", "");
  spec.ssh_public_key = opt.count("key") ? trim(read_file(opt["key"])) : "";
  spec.network = parse_network_mode(get("network", "nat"));
  spec.cpus = std::stoi(get("cpus", "1"));
  spec.memory_mib = std::stoll(get("memory", "512"));
  spec.disk_gb = std::stoll(get("disk-gb", "2"));
  // Every file under DIR becomes the same path under the machine's /etc/berth (MachineSpec).
  if (opt.count("engine-files")) {
    std::filesystem::path dir = opt["engine-files"];
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      spec.engine_files[entry.path().lexically_relative(dir).generic_string()] =
          read_file(entry.path().string());
    }
  }
  LibvirtConfig config;
  config.uri = get("uri", config.uri);
  config.pool = get("pool", config.pool);
  config.pool_path = get("pool-path", config.pool_path);
  config.network = get("net", config.network);
  config.bridge = get("bridge", config.bridge);
  config.subnet = get("subnet", config.subnet);
  config.stop_timeout = std::chrono::seconds(std::stoi(get("stop-timeout", "30")));
  config.virt_type = get("virt-type", config.virt_type);
  LibvirtDriver driver(spec, config, nullptr);
  try {
    driver.create();
  } catch (...) {
    write_file_atomic(state_file, driver.to_json().dump(2), 0600);
    throw;
  }
  write_file_atomic(state_file, driver.to_json().dump(2), 0600);
  return 0;
}

int run(const std::vector<std::string>& args) {
  if (args.size() < 2) {
    std::cerr << "usage: driver_e2e STATE COMMAND [ARGS...] (see the source)\n";
    return 2;
  }
  const std::string& state_file = args[0];
  const std::string& cmd = args[1];
  if (cmd == "create") return create(state_file, args);
  auto driver = load(state_file);
  if (cmd == "start") {
    driver->start();
  } else if (cmd == "stop") {
    driver->stop();
  } else if (cmd == "restart") {
    driver->restart();
  } else if (cmd == "kill") {
    driver->kill();
  } else if (cmd == "remove") {
    driver->remove();
  } else if (cmd == "state") {
    std::cout << state_name(driver->state()) << "\n";
  } else if (cmd == "ip") {
    std::cout << driver->ip() << "\n";
  } else if (cmd == "ssh-port") {
    std::cout << driver->ssh_port() << "\n";
  } else if (cmd == "url") {
    std::cout << driver->engine_url() << "\n";
  } else if (cmd == "json") {
    std::cout << driver->to_json().dump(2) << "\n";
  } else if (cmd == "wait" && args.size() > 2) {
    driver->wait_ready(std::chrono::seconds(std::stoi(args[2])));
  } else if (cmd == "agent" && args.size() > 2) {
    std::cout << driver->agent_command(args[2]) << "\n";
  } else if ((cmd == "addresses" && args.size() > 2) || cmd == "leases") {
    LibvirtHypervisor hv(driver->config().uri);
    if (cmd == "leases") {
      for (const auto& l : hv.dhcp_leases(driver->config().network)) {
        std::cout << l.mac << " " << l.address << " " << l.hostname << "\n";
      }
    } else {
      auto source = args[2] == "lease" ? AddressSource::Lease : AddressSource::Agent;
      for (const auto& a : hv.interface_addresses(driver->machine_name(), source)) {
        std::cout << a.interface << " " << a.mac << " " << a.address << "/" << a.prefix << "\n";
      }
    }
  } else {
    std::cerr << "driver_e2e: unknown command " << cmd << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (const char* level = std::getenv("BERTH_LOG_LEVEL")) log::set_level(level);
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
