#pragma once
// The files Docker bind-mounts into every container: /etc/hostname, /etc/hosts, /etc/resolv.conf.
#include <string>
#include <vector>

namespace berth::engine {

struct ContainerFiles {
  std::string hostname_path, hosts_path, resolv_conf_path;
};

// Writes the three files into `dir`. `ip` is the container's address on its network ("" for none;
// host networking copies the host's files). `dns` overrides the name servers.
ContainerFiles write_container_files(const std::string& dir, const std::string& hostname,
                                     const std::string& ip, bool host_network,
                                     const std::vector<std::string>& dns);

}  // namespace berth::engine
