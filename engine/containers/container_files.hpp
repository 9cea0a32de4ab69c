#pragma once
// The files Docker bind-mounts into every container: /etc/hostname, /etc/hosts, /etc/resolv.conf.
#include <string>
#include <vector>

namespace berth::engine {

struct ContainerFiles {
  std::string hostname_path, hosts_path, resolv_conf_path;
};

struct ContainerFilesInput {
  std::string hostname;
  std::string ip;             // the container's address on its network; "" for none
  std::string gateway;        // its network's gateway: what --add-host NAME:host-gateway means
  bool host_network = false;  // the host's own files are copied (plus extra hosts)
  std::vector<std::string> dns, dns_search,
      dns_options;                       // --dns (else the engine's), --dns-search, --dns-option
  std::vector<std::string> extra_hosts;  // --add-host: "name:ip"
};

// Writes the three files into `dir`. Throws InvalidArgument naming a malformed --add-host.
ContainerFiles write_container_files(const std::string& dir, const ContainerFilesInput& input);

}  // namespace berth::engine
