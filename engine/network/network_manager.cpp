// Docker's default bridge network. The engine's current network namespace is "the host": the
// bridge, the host ends of the veth pairs, the nftables table, the sysctls and the sockets holding
// published ports all live there. Every kernel object a container gets is named in its Endpoint;
// the state file lists every endpoint whose container may be running. An engine that dies in the
// middle of attach() leaves only things restore() sweeps away without a record: a namespace file
// no endpoint owns (its veth pair dies with the namespace), nftables rules (the table is rebuilt)
// and sockets (closed with the process). So attach() saves once, at the end: one fsync fewer on
// the container start path.
#include "engine/network/network_manager.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/network/ipam.hpp"
#include "engine/network/link_reaper.hpp"
#include "engine/network/netlink.hpp"
#include "engine/network/netns.hpp"
#include "engine/network/network_state.hpp"
#include "engine/network/nftables.hpp"
#include "engine/network/port_allocator.hpp"

namespace berth::engine {
namespace {

void validate_container_id(const std::string& id) {
  // The ID names a file, an nft chain and log lines: keep to characters all three take as is.
  bool ok = !id.empty() && id.size() <= 128 && id != "." && id != ".." &&
            std::all_of(id.begin(), id.end(), [](unsigned char c) {
              return std::isalnum(c) || c == '_' || c == '-' || c == '.';
            });
  if (!ok) throw InvalidArgument("invalid container ID \"" + id + "\" for networking");
}

void write_sysctl(const std::string& path, const char* value) {
  // /proc/sys/net resolves to the namespace of the opening thread: the engine's.
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  if (write(fd.get(), value, 1) != 1) throw_errno("write " + path);
}

// Runs `step`, logging instead of throwing: undoing must go on past a part that is already gone.
template <typename Step>
void best_effort(const char* what, const std::string& id, Step&& step) {
  try {
    step();
  } catch (const std::exception& e) {
    log::warn(what, {{"container", id}, {"error", e.what()}});
  }
}

}  // namespace

struct NetworkManager::Impl {
  BridgeConfig config;
  Ipv4Subnet subnet;
  uint32_t gateway = 0;

  std::mutex mutex;
  NetworkState state;
  // Opened on first use, in the namespace of the thread that first needs them (the engine's), so
  // that constructing a NetworkManager needs no privileges.
  std::optional<Netlink> netlink;
  std::unique_ptr<Nftables> nft;
  std::unique_ptr<LinkReaper> reaper;
  int bridge_index = 0;  // 0 until this process has set up the host side
  PortAllocator port_allocator;
  std::map<std::string, std::vector<UniqueFd>> port_holds;  // by container ID

  void open_kernel_interfaces() {
    if (!netlink) netlink.emplace();
    if (!nft) nft = std::make_unique<Nftables>();
    if (!reaper) reaper = std::make_unique<LinkReaper>(Netlink());
  }

  std::string subnet_text() const {
    return format_ipv4(subnet.network) + "/" + std::to_string(subnet.prefix);
  }

  // Bridge with the gateway address, forwarding, route_localnet on the bridge, and the base
  // nftables rules. Idempotent; done once per process unless `force`.
  void ensure_host(bool force = false) {
    if (bridge_index != 0 && !force) return;
    open_kernel_interfaces();
    ensure_directory(config.netns_dir, 0755);
    const std::string& bridge = config.bridge_name;
    auto index = netlink->link_index(bridge);
    if (!index) {
      netlink->create_bridge(bridge);
      index = netlink->link_index(bridge);
      if (!index) throw Error("bridge " + bridge + " vanished right after being created");
    }
    netlink->add_address(*index, gateway, subnet.prefix);
    netlink->set_link_up(*index);
    write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
    // Lets DNATed packets from 127.0.0.1 leave by the bridge (they are then masqueraded), so that
    // `curl 127.0.0.1:8080` reaches a published port without a userland proxy. Set on the bridge
    // only: other interfaces keep treating 127/8 as martian.
    write_sysctl("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet", "1");
    nft->run(nft_base_rules(bridge, subnet_text()));
    bridge_index = *index;
  }

  void save() { save_network_state(config.state_file, state); }

  // Removes every kernel object `endpoint` names. Best effort: each part may already be gone.
  void release(const Endpoint& endpoint) {
    const std::string& id = endpoint.container_id;
    best_effort("cannot open kernel interfaces", id, [&] { open_kernel_interfaces(); });
    if (nft) {
      auto commands = nft_container_removal(id, endpoint.ports);
      std::string all;
      for (const auto& command : commands) all += command;
      // One transaction normally; one command at a time when something is already gone, since
      // a failing command aborts its whole transaction.
      if (!all.empty() && !nft->try_run(all).empty()) {
        for (const auto& command : commands) nft->try_run(command);
      }
    }
    port_holds.erase(id);  // only now: until the rules are gone the ports are still ours
    if (netlink && reaper && !endpoint.veth.empty()) {
      best_effort("cannot delete veth", id, [&] {
        if (netlink->set_link_down(endpoint.veth)) reaper->remove(endpoint.veth);
      });
    }
    if (!endpoint.netns_path.empty()) {
      best_effort("cannot remove network namespace", id,
                  [&] { remove_netns(endpoint.netns_path); });
    }
  }

  // The container side: namespace, veth pair, address, default route.
  void plumb(Endpoint& endpoint, uint32_t address, const MacAddress& mac) {
    ContainerNetns netns = create_netns(endpoint.netns_path);
    for (int attempt = 0;; ++attempt) {
      try {
        netlink->create_veth(endpoint.veth, bridge_index, "eth0", netns.fd.get(), mac);
        break;
      } catch (const SystemError& e) {
        // A random name can collide (with an interface of someone else's, too): pick another.
        if (e.code() != EEXIST || attempt == 3) throw;
        endpoint.veth = "veth" + random_hex_id(7);
      }
    }
    // As docker does without its userland proxy: when br_netfilter is loaded (docker loads it),
    // a container's packet to its own published port is DNATed on the bridge and must go back out
    // of the port it came in on.
    auto host_index = netlink->link_index(endpoint.veth);
    if (!host_index) throw Error(endpoint.veth + " missing right after creating it");
    netlink->set_hairpin(*host_index);
    auto eth0 = netns.netlink.link_index("eth0");
    if (!eth0) throw Error("eth0 missing in " + endpoint.netns_path + " after creating it");
    netns.netlink.set_link_up(*eth0);
    netns.netlink.add_address(*eth0, address, subnet.prefix);
    netns.netlink.add_default_route(gateway, *eth0);
  }

  void rehold_ports(const Endpoint& endpoint) {
    auto& holds = port_holds[endpoint.container_id];
    holds.clear();
    for (const auto& port : endpoint.ports) {
      int error = 0;
      UniqueFd hold = hold_host_port(port, &error);
      if (!hold) {
        log::warn(
            "cannot hold published port again",
            {{"container", endpoint.container_id},
             {"port", port.host_ip + ":" + std::to_string(port.host_port) + "/" + port.protocol},
             {"error", std::strerror(error)}});
      }
      holds.push_back(std::move(hold));
    }
  }

  // Namespace files no endpoint owns: left by a crash between creating one and saving the state.
  void remove_stray_netns_files() {
    std::set<std::string> owned;
    for (const auto& [id, endpoint] : state.endpoints) owned.insert(endpoint.netns_path);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(config.netns_dir.c_str()), closedir);
    if (!dir) return;
    std::vector<std::string> stray;
    while (dirent* entry = readdir(dir.get())) {
      std::string name = entry->d_name;
      std::string path = config.netns_dir + "/" + name;
      if (name != "." && name != ".." && !owned.contains(path)) stray.push_back(path);
    }
    for (const auto& path : stray) {
      best_effort("cannot remove stray network namespace", path, [&] { remove_netns(path); });
    }
  }
};

NetworkManager::NetworkManager(BridgeConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->subnet = parse_subnet(config.subnet);
  impl_->gateway = parse_ipv4(config.gateway, "gateway");
  if (!impl_->subnet.contains(impl_->gateway) || impl_->gateway == impl_->subnet.network ||
      impl_->gateway == impl_->subnet.broadcast()) {
    throw InvalidArgument("gateway " + config.gateway + " is not a host address of subnet " +
                          config.subnet);
  }
  if (config.bridge_name.empty() || config.bridge_name.size() >= 16) {
    throw InvalidArgument("invalid bridge name \"" + config.bridge_name + "\"");
  }
  if (config.netns_dir.empty() || config.state_file.empty()) {
    throw InvalidArgument("network manager needs netns_dir and state_file");
  }
  impl_->state = load_network_state(config.state_file);
  impl_->config = std::move(config);
  // The network's ID and creation time are the network's identity: kept from the first start on,
  // not only from the first attach.
  if (impl_->state.fresh) {
    best_effort("cannot save the network state", "", [&] { impl_->save(); });
    impl_->state.fresh = false;
  }
}

NetworkManager::~NetworkManager() = default;

Attachment NetworkManager::attach(const std::string& container_id,
                                  const std::vector<PortBinding>& ports,
                                  const std::optional<MacAddress>& requested_mac) {
  validate_container_id(container_id);
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  if (auto stale = m.state.endpoints.find(container_id); stale != m.state.endpoints.end()) {
    // A previous start that never detached (an engine crash): start clean.
    m.release(stale->second);
    m.state.endpoints.erase(stale);
  }
  m.ensure_host();

  std::set<uint32_t> used;
  std::vector<PortBinding> taken;
  for (const auto& [id, endpoint] : m.state.endpoints) {
    used.insert(parse_ipv4(endpoint.ip_address));
    taken.insert(taken.end(), endpoint.ports.begin(), endpoint.ports.end());
  }
  uint32_t address = allocate_address(m.subnet, m.gateway, used);
  PortAllocation allocation = m.port_allocator.allocate(ports, taken);
  const MacAddress mac = requested_mac.value_or(mac_for_ipv4(address));

  Endpoint endpoint;
  endpoint.container_id = container_id;
  endpoint.endpoint_id = random_hex_id();
  endpoint.sandbox_id = random_hex_id();
  endpoint.ip_address = format_ipv4(address);
  endpoint.mac_address = format_mac(mac);
  endpoint.veth = "veth" + random_hex_id(7);
  endpoint.netns_path = m.config.netns_dir + "/" + container_id;
  endpoint.ports = allocation.bindings;

  m.state.endpoints[container_id] = endpoint;  // reserves the address while we work
  try {
    m.plumb(endpoint, address, mac);
    m.state.endpoints[container_id].veth = endpoint.veth;
    m.nft->run(nft_container_rules(container_id, endpoint.ip_address, endpoint.ports));
    m.save();
  } catch (...) {
    m.release(endpoint);
    m.state.endpoints.erase(container_id);
    best_effort("cannot save network state", container_id, [&] { m.save(); });
    throw;
  }
  m.port_holds[container_id] = std::move(allocation.holds);

  Attachment attachment;
  attachment.netns_path = endpoint.netns_path;
  attachment.ip_address = endpoint.ip_address;
  attachment.gateway = format_ipv4(m.gateway);
  attachment.mac_address = endpoint.mac_address;
  attachment.prefix_length = m.subnet.prefix;
  attachment.ports = endpoint.ports;
  return attachment;
}

void NetworkManager::detach(const std::string& container_id) {
  validate_container_id(container_id);
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  auto it = m.state.endpoints.find(container_id);
  if (it == m.state.endpoints.end()) return;
  m.release(it->second);
  m.state.endpoints.erase(it);
  m.save();
}

void NetworkManager::restore(const std::vector<std::string>& running_container_ids) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  std::set<std::string> running(running_container_ids.begin(), running_container_ids.end());
  for (auto it = m.state.endpoints.begin(); it != m.state.endpoints.end();) {
    if (running.contains(it->first)) {
      ++it;
      continue;
    }
    m.release(it->second);
    it = m.state.endpoints.erase(it);
  }
  m.ensure_host(true);
  // One transaction rebuilds the table from the state alone, dropping chains and elements a crash
  // may have left that no endpoint names.
  std::string rules = nft_reset_table(nft_base_rules(m.config.bridge_name, m.subnet_text()));
  for (const auto& [id, endpoint] : m.state.endpoints) {
    rules += nft_container_rules(id, endpoint.ip_address, endpoint.ports);
    m.rehold_ports(endpoint);
  }
  m.nft->run(rules);
  m.remove_stray_netns_files();
  m.save();
}

nlohmann::json NetworkManager::inspect_json(const Attachment& attachment) const {
  using nlohmann::json;
  std::string endpoint_id, sandbox_id, network_id;
  {
    std::lock_guard lock(impl_->mutex);
    network_id = impl_->state.network_id;
    for (const auto& [id, endpoint] : impl_->state.endpoints) {
      if (endpoint.netns_path == attachment.netns_path) {
        endpoint_id = endpoint.endpoint_id;
        sandbox_id = endpoint.sandbox_id;
      }
    }
  }
  json ports = json::object();
  for (const auto& port : attachment.ports) {
    std::string key = std::to_string(port.container_port) + "/" + port.protocol;
    if (!ports.contains(key)) ports[key] = json::array();
    ports[key].push_back({{"HostIp", port.host_ip.empty() ? "0.0.0.0" : port.host_ip},
                          {"HostPort", std::to_string(port.host_port)}});
  }
  json bridge = {{"IPAMConfig", nullptr},
                 {"Links", nullptr},
                 {"Aliases", nullptr},
                 {"MacAddress", attachment.mac_address},
                 {"DriverOpts", nullptr},
                 {"GwPriority", 0},
                 {"NetworkID", network_id},
                 {"EndpointID", endpoint_id},
                 {"Gateway", attachment.gateway},
                 {"IPAddress", attachment.ip_address},
                 {"IPPrefixLen", attachment.prefix_length},
                 {"IPv6Gateway", ""},
                 {"GlobalIPv6Address", ""},
                 {"GlobalIPv6PrefixLen", 0},
                 {"DNSNames", nullptr}};
  return {{"Bridge", ""},
          {"SandboxID", sandbox_id},
          {"SandboxKey", attachment.netns_path},
          {"HairpinMode", false},
          {"LinkLocalIPv6Address", ""},
          {"LinkLocalIPv6PrefixLen", 0},
          {"SecondaryIPAddresses", nullptr},
          {"SecondaryIPv6Addresses", nullptr},
          {"EndpointID", endpoint_id},
          {"Gateway", attachment.gateway},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"IPAddress", attachment.ip_address},
          {"IPPrefixLen", attachment.prefix_length},
          {"IPv6Gateway", ""},
          {"MacAddress", attachment.mac_address},
          {"Ports", std::move(ports)},
          {"Networks", {{"bridge", std::move(bridge)}}}};
}

BridgeNetwork NetworkManager::bridge_network() const {
  std::lock_guard lock(impl_->mutex);
  const Impl& m = *impl_;
  BridgeNetwork bridge{m.state.network_id, m.state.created,  m.config.bridge_name,
                       m.subnet_text(),    m.config.gateway, {}};
  for (const auto& [id, endpoint] : m.state.endpoints)
    bridge.endpoints.push_back(
        {id, endpoint.endpoint_id, endpoint.mac_address,
         endpoint.ip_address + "/" + std::to_string(static_cast<int>(m.subnet.prefix))});
  return bridge;
}

}  // namespace berth::engine
