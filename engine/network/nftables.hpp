#pragma once
// NAT and published ports in nftables, in a table of berth's own ("ip berth"): nothing here reads
// or changes any other table, so iptables, firewalld or a user's ruleset are left alone.
//
// Layout (the text the builders below produce):
//   map publish  { host address . protocol . host port : jump c-<container> }   flags interval
//   prerouting / output (nat, dstnat):  fib daddr type local  ->  vmap @publish
//   postrouting (nat, srcnat):          masquerade the subnet leaving by other interfaces;
//   masquerade
//                                       loopback-sourced and hairpin traffic entering the bridge
//   chain c-<container>:                one dnat rule per published port
// A container's ports are thus exactly its map elements plus its chain, so detach removes them
// without looking anything up, and a 0.0.0.0 binding is the interval 0.0.0.0/0 in the key.
#include <string>
#include <vector>

#include "engine/network/network_manager.hpp"

struct nft_ctx;

namespace berth::engine {

// Runs nft commands in-process through libnftables (no `nft` process per container start). The
// netlink socket inside belongs to the network namespace of the thread that created this object.
class Nftables {
 public:
  Nftables();  // throws Error when libnftables cannot start
  ~Nftables();
  Nftables(const Nftables&) = delete;
  Nftables& operator=(const Nftables&) = delete;

  // Runs `commands` as one transaction: all or nothing. Throws Error with nft's message.
  void run(const std::string& commands);
  // Same, returning nft's error message ("" on success) instead of throwing.
  std::string try_run(const std::string& commands);

 private:
  nft_ctx* context_;
};

// The table, map, base chains and masquerade rules for `bridge` and `subnet` ("172.17.0.0/16").
// Idempotent: base chains are flushed and refilled, container chains are untouched.
std::string nft_base_rules(const std::string& bridge, const std::string& subnet);

// Replaces the whole table in one transaction (so no packet sees it half built): what restore()
// uses to drop whatever a crashed engine left behind.
std::string nft_reset_table(const std::string& base_rules);

// The chain and map elements publishing `ports` (host ports resolved, host_ip "0.0.0.0" or an
// address) to `container_ip`. Idempotent.
std::string nft_container_rules(const std::string& container_id, const std::string& container_ip,
                                const std::vector<PortBinding>& ports);

// Commands undoing nft_container_rules, one per string: any of them may fail because it is already
// gone (detach after a crash), which must not stop the others.
std::vector<std::string> nft_container_removal(const std::string& container_id,
                                               const std::vector<PortBinding>& ports);

}  // namespace berth::engine
