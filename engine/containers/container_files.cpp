#include "engine/containers/container_files.hpp"

#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace berth::engine {

namespace {

// The host's resolv.conf without loopback name servers (a container cannot reach the host's
// 127.0.0.53); when none remain, Docker's fallback public resolvers are used.
std::string container_resolv_conf(const std::vector<std::string>& dns) {
  std::string host;
  try {
    host = read_file("/etc/resolv.conf");
  } catch (const Error&) {
  }
  std::ostringstream out;
  std::istringstream in(host);
  std::string line;
  bool have_server = false;
  for (const auto& server : dns) {
    out << "nameserver " << server << "\n";
    have_server = true;
  }
  while (std::getline(in, line)) {
    if (line.starts_with("nameserver")) {
      if (!dns.empty()) continue;
      const std::string addr = line.substr(line.find_first_not_of(" \t", 10));
      if (addr.starts_with("127.") || addr == "::1") continue;
      have_server = true;
    }
    out << line << "\n";
  }
  if (!have_server) out << "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return out.str();
}

}  // namespace

// Written afresh at every start, so a write lost to a power cut costs nothing: no fsync.
ContainerFiles write_container_files(const std::string& dir, const std::string& hostname,
                                     const std::string& ip, bool host_network,
                                     const std::vector<std::string>& dns) {
  ContainerFiles files{dir + "/hostname", dir + "/hosts", dir + "/resolv.conf"};
  if (host_network) {
    write_file_replace(files.hostname_path, read_file("/etc/hostname"));
    write_file_replace(files.hosts_path, read_file("/etc/hosts"));
    write_file_replace(files.resolv_conf_path, read_file("/etc/resolv.conf"));
    return files;
  }
  write_file_replace(files.hostname_path, hostname + "\n");
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
  if (!ip.empty()) hosts += ip + "\t" + hostname + "\n";
  write_file_replace(files.hosts_path, hosts);
  write_file_replace(files.resolv_conf_path, container_resolv_conf(dns));
  return files;
}

}  // namespace berth::engine
