#pragma once
// A hand-written in-memory Hypervisor for tests of the libvirt driver and of code built on it (the
// machine manager): libvirt as a few maps, with switches for the guest agent, clean shutdown and
// KVM, and failure injection. Header-only so that it costs the product nothing.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "drivers/libvirt/hypervisor.hpp"

namespace berth::drivers::libvirt::testing {

// Every mutating call counts; `fail_on_call` makes the Nth one throw, which is how tests interrupt
// create() at each of its steps. `calls` records mutations and agent commands in order.
class FakeHypervisor : public Hypervisor {
 public:
  struct Domain {
    std::string xml;
    DomainRunState state = DomainRunState::Shutoff;
  };
  std::map<std::string, Domain> domains;
  std::map<std::string, PoolInfo> pools;
  std::map<std::string, std::string> volumes;  // "pool/volume" -> contents
  std::map<std::string, bool> networks;        // name -> active
  std::string network_definition;
  bool agent_connected = true;
  bool shutdown_powers_off = true;
  std::string start_error;  // start_domain throws Error(start_error) for type='kvm' domains
  std::vector<InterfaceAddress> agent_addresses, lease_addresses;
  std::uint64_t available = 100ull << 30;
  int mutations = 0;
  int fail_on_call = 0;
  std::vector<std::string> calls;

  std::string uri() const override { return "test:///fake"; }

  std::optional<DomainRunState> domain_state(const std::string& name) override {
    auto it = domains.find(name);
    if (it == domains.end()) return std::nullopt;
    return it->second.state;
  }
  std::optional<std::string> domain_metadata(const std::string& name,
                                             const std::string& ns) override {
    const std::string& xml = dom(name).xml;
    if (xml.find(ns) == std::string::npos) return std::nullopt;
    return "<berth:machine/>";
  }
  void define_domain(const std::string& xml) override {
    mutate("define_domain");
    std::string name = element(xml, "name");
    // Like libvirt: a second definition under a name in use needs the same UUID, which we never
    // send.
    if (domains.count(name)) throw Error("domain '" + name + "' already exists with uuid ...");
    domains[name] = Domain{xml};
  }
  void start_domain(const std::string& name) override {
    mutate("start_domain");
    Domain& d = dom(name);
    if (!start_error.empty() && d.xml.find("type='kvm'") != std::string::npos) {
      throw Error(start_error);
    }
    d.state = DomainRunState::Running;
  }
  void resume_domain(const std::string& name) override {
    mutate("resume_domain");
    dom(name).state = DomainRunState::Running;
  }
  void shutdown_domain(const std::string& name) override {
    mutate("shutdown_domain");
    if (shutdown_powers_off) dom(name).state = DomainRunState::Shutoff;
  }
  void destroy_domain(const std::string& name) override {
    mutate("destroy_domain");
    Domain& d = dom(name);
    if (d.state == DomainRunState::Shutoff) throw Conflict("domain is not running");
    d.state = DomainRunState::Shutoff;
  }
  void undefine_domain(const std::string& name) override {
    mutate("undefine_domain");
    dom(name);
    domains.erase(name);
  }
  std::string agent_command(const std::string& name, const std::string& command,
                            std::chrono::seconds) override {
    calls.push_back("agent " + command);
    if (dom(name).state != DomainRunState::Running || !agent_connected) {
      throw Unavailable("Guest agent is not responding: QEMU guest agent is not connected");
    }
    return R"({"return":{}})";
  }
  std::vector<InterfaceAddress> interface_addresses(const std::string& name,
                                                    AddressSource source) override {
    dom(name);
    if (source == AddressSource::Agent) {
      if (!agent_connected) throw Unavailable("QEMU guest agent is not connected");
      return agent_addresses;
    }
    return lease_addresses;
  }

  std::optional<PoolInfo> pool_info(const std::string& pool) override {
    auto it = pools.find(pool);
    if (it == pools.end()) return std::nullopt;
    PoolInfo info = it->second;
    info.available_bytes = info.active ? available : 0;
    return info;
  }
  void define_pool(const std::string& xml) override {
    mutate("define_pool");
    pools[element(xml, "name")] = PoolInfo{element(xml, "path"), false, 0};
  }
  void start_pool(const std::string& pool) override {
    mutate("start_pool");
    pools.at(pool).active = true;
  }
  void refresh_pool(const std::string&) override {}
  bool volume_exists(const std::string& pool, const std::string& volume) override {
    return volumes.count(pool + "/" + volume) > 0;
  }
  std::string volume_path(const std::string& pool, const std::string& volume) override {
    if (!volume_exists(pool, volume)) throw NotFound("no volume " + volume);
    return pools.at(pool).path + "/" + volume;
  }
  void create_volume(const std::string& pool, const std::string& xml) override {
    mutate("create_volume");
    std::string name = element(xml, "name");
    if (volume_exists(pool, name)) throw Conflict("volume exists");
    volumes[pool + "/" + name] = "";
  }
  void upload_volume(const std::string& pool, const std::string& volume,
                     std::string_view data) override {
    mutate("upload_volume");
    volumes.at(pool + "/" + volume) = std::string(data);
  }
  void delete_volume(const std::string& pool, const std::string& volume) override {
    mutate("delete_volume");
    if (!volumes.erase(pool + "/" + volume)) throw NotFound("no volume " + volume);
  }

  std::optional<bool> network_active(const std::string& network) override {
    auto it = networks.find(network);
    if (it == networks.end()) return std::nullopt;
    return it->second;
  }
  void define_network(const std::string& xml) override {
    mutate("define_network");
    network_definition = xml;
    networks[element(xml, "name")] = false;
  }
  void start_network(const std::string& network) override {
    mutate("start_network");
    networks.at(network) = true;
  }
  std::vector<DhcpLease> dhcp_leases(const std::string&) override { return {}; }

 private:
  // The text of the first <tag>...</tag>.
  static std::string element(const std::string& xml, const std::string& tag) {
    auto b = xml.find("<" + tag + ">") + tag.size() + 2;
    return xml.substr(b, xml.find("</" + tag + ">") - b);
  }
  void mutate(const std::string& call) {
    calls.push_back(call);
    if (++mutations == fail_on_call) throw Error("injected failure at " + call);
  }
  Domain& dom(const std::string& name) {
    auto it = domains.find(name);
    if (it == domains.end()) throw NotFound("no domain " + name);
    return it->second;
  }
};

}  // namespace berth::drivers::libvirt::testing
