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
  std::string domainname;     // --domainname; the FQDN in /etc/hosts is hostname.domainname
  std::string ip;             // the container's address on its network; "" for none
  std::string gateway;        // its network's gateway: what --add-host NAME:host-gateway means
  bool host_network = false;  // the host's own files are copied (plus extra hosts)
  std::vector<std::string> dns, dns_search,
      dns_options;                       // --dns (else the engine's), --dns-search, --dns-option
  std::vector<std::string> extra_hosts;  // --add-host: "name:ip"
  std::vector<std::string> link_lines;   // --link: whole lines (legacy_links.hpp), after those
};

// The three files' paths in a container's directory.
ContainerFiles container_files_in(const std::string& dir);

// Writes the three files into `dir`. Throws InvalidArgument naming a malformed --add-host.
ContainerFiles write_container_files(const std::string& dir, const ContainerFilesInput& input);

// The container's /etc/hosts on a network of its own (not the host's network).
std::string container_hosts(const ContainerFilesInput& input);

// The container's /etc/resolv.conf made from the host's, the way dockerd 20.10 (libnetwork) makes
// it: without --dns/--dns-search/--dns-option the host's file with its loopback name servers
// removed (Google's resolvers when none remain); with any of them a new file, "search" first.
std::string container_resolv_conf(const std::string& host_resolv_conf,
                                  const ContainerFilesInput& input);

}  // namespace berth::engine
