#include "engine/network/nftables.hpp"

#include <nftables/libnftables.h>

#include "common/error.hpp"

namespace berth::engine {
namespace {

constexpr const char* kTable = "ip berth";

std::string chain_name(const std::string& container_id) {
  return "c-" + container_id;
}

std::string map_key(const PortBinding& port) {
  std::string address =
      port.host_ip.empty() || port.host_ip == "0.0.0.0" ? "0.0.0.0/0" : port.host_ip;
  return address + " . " + port.protocol + " . " + std::to_string(port.host_port);
}

}  // namespace

Nftables::Nftables() : context_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (!context_) throw Error("cannot initialise libnftables");
  nft_ctx_buffer_output(context_);
  nft_ctx_buffer_error(context_);
}

Nftables::~Nftables() {
  nft_ctx_free(context_);
}

std::string Nftables::try_run(const std::string& commands) {
  int rc = nft_run_cmd_from_buffer(context_, commands.c_str());
  // Reading a buffer also empties it, so nothing carries over into the next command's message.
  nft_ctx_get_output_buffer(context_);
  std::string message = nft_ctx_get_error_buffer(context_);
  if (rc == 0) return "";
  return message.empty() ? "nft failed" : message;
}

void Nftables::run(const std::string& commands) {
  std::string message = try_run(commands);
  if (!message.empty()) throw Error("nftables: " + message);
}

std::string nft_base_rules(const std::string& bridge, const std::string& subnet) {
  std::string t = kTable;
  std::string b = "\"" + bridge + "\"";
  return "add table " + t + "\n" + "add map " + t +
         " publish { type ipv4_addr . inet_proto . inet_service : verdict; flags interval; }\n" +
         "add chain " + t +
         " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n" +
         "add chain " + t + " output { type nat hook output priority -100; policy accept; }\n" +
         "add chain " + t +
         " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n" +
         "flush chain " + t + " prerouting\n" + "flush chain " + t + " output\n" + "flush chain " +
         t + " postrouting\n" +
         // Only traffic addressed to this host is published: the same port on a container's
         // outgoing connection to some other machine must pass untouched.
         "add rule " + t +
         " prerouting fib daddr type local ip daddr . meta l4proto . th dport vmap @publish\n" +
         "add rule " + t +
         " output fib daddr type local ip daddr . meta l4proto . th dport vmap @publish\n" +
         // Outbound NAT, as docker's MASQUERADE -s 172.17.0.0/16 ! -o docker0.
         "add rule " + t + " postrouting ip saddr " + subnet + " oifname != " + b +
         " masquerade\n" +
         // `curl 127.0.0.1:8080` on the host: after DNAT the packet leaves by the bridge still
         // sourced from 127.0.0.1 (route_localnet lets it), and the container could not answer
         // that address; masquerading makes it the gateway's.
         "add rule " + t + " postrouting oifname " + b + " ip saddr 127.0.0.0/8 masquerade\n" +
         // A container reaching a published port of its own bridge: without this the answer
         // would go straight back over the bridge, bypassing the reverse DNAT.
         "add rule " + t + " postrouting oifname " + b + " ip saddr " + subnet +
         " ct status dnat masquerade\n";
}

std::string nft_reset_table(const std::string& base_rules) {
  // "add" first so that "delete" cannot fail on a fresh host.
  return std::string("add table ") + kTable + "\ndelete table " + kTable + "\n" + base_rules;
}

std::string nft_container_rules(const std::string& container_id, const std::string& container_ip,
                                const std::vector<PortBinding>& ports) {
  if (ports.empty()) return "";
  std::string t = kTable;
  std::string chain = chain_name(container_id);
  std::string out = "add chain " + t + " " + chain + "\nflush chain " + t + " " + chain + "\n";
  std::string elements;
  for (const auto& port : ports) {
    out += "add rule " + t + " " + chain + " ";
    if (!port.host_ip.empty() && port.host_ip != "0.0.0.0") out += "ip daddr " + port.host_ip + " ";
    out += port.protocol + " dport " + std::to_string(port.host_port) + " dnat to " + container_ip +
           ":" + std::to_string(port.container_port) + "\n";
    if (!elements.empty()) elements += ", ";
    elements += map_key(port) + " : jump " + chain;
  }
  return out + "add element " + t + " publish { " + elements + " }\n";
}

std::vector<std::string> nft_container_removal(const std::string& container_id,
                                               const std::vector<PortBinding>& ports) {
  std::vector<std::string> commands;
  // Elements first: a chain still jumped to cannot be deleted.
  for (const auto& port : ports) {
    commands.push_back(std::string("delete element ") + kTable + " publish { " + map_key(port) +
                       " }\n");
  }
  if (!ports.empty()) {
    commands.push_back(std::string("delete chain ") + kTable + " " + chain_name(container_id) +
                       "\n");
  }
  return commands;
}

}  // namespace berth::engine
