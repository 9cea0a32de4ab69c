#include "engine/containers/container_files.hpp"

#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace berth::engine {

namespace {

// The host's resolv.conf without loopback name servers (a container cannot reach the host's
// 127.0.0.53); when none remain, Docker's fallback public resolvers are used. --dns, --dns-search
// and --dns-option replace the host's lines of their kind.
std::string container_resolv_conf(const ContainerFilesInput& in) {
  std::string host;
  try {
    host = read_file("/etc/resolv.conf");
  } catch (const Error&) {
  }
  std::ostringstream out;
  std::istringstream lines(host);
  std::string line;
  bool have_server = false;
  for (const auto& server : in.dns) {
    out << "nameserver " << server << "\n";
    have_server = true;
  }
  if (!in.dns_search.empty()) {
    out << "search";
    for (const auto& domain : in.dns_search) out << " " << domain;
    out << "\n";
  }
  if (!in.dns_options.empty()) {
    out << "options";
    for (const auto& option : in.dns_options) out << " " << option;
    out << "\n";
  }
  while (std::getline(lines, line)) {
    if (line.starts_with("nameserver")) {
      if (!in.dns.empty()) continue;
      const auto start = line.find_first_not_of(" \t", 10);
      const std::string addr = start == std::string::npos ? "" : line.substr(start);
      if (addr.starts_with("127.") || addr == "::1") continue;
      have_server = true;
    }
    if ((line.starts_with("search") || line.starts_with("domain")) && !in.dns_search.empty())
      continue;
    if (line.starts_with("options") && !in.dns_options.empty()) continue;
    out << line << "\n";
  }
  if (!have_server) out << "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return out.str();
}

// --add-host lines ("name:ip" as the CLI sends them; the IP may be IPv6 and hold colons).
std::string extra_host_lines(const ContainerFilesInput& in) {
  std::string lines;
  for (const auto& entry : in.extra_hosts) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size())
      throw InvalidArgument("invalid IP address in add-host: \"" + entry + "\"");
    const std::string name = entry.substr(0, colon);
    std::string ip = entry.substr(colon + 1);
    if (ip == "host-gateway") {
      if (in.gateway.empty())
        throw InvalidArgument("--add-host " + name +
                              ":host-gateway needs the container on the bridge network");
      ip = in.gateway;
    }
    lines += ip + "\t" + name + "\n";
  }
  return lines;
}

}  // namespace

// Written afresh at every start, so a write lost to a power cut costs nothing: no fsync.
ContainerFiles write_container_files(const std::string& dir, const ContainerFilesInput& in) {
  ContainerFiles files{dir + "/hostname", dir + "/hosts", dir + "/resolv.conf"};
  const std::string extra = extra_host_lines(in);
  if (in.host_network) {
    write_file_replace(files.hostname_path, read_file("/etc/hostname"));
    write_file_replace(files.hosts_path, read_file("/etc/hosts") + extra);
    write_file_replace(files.resolv_conf_path, read_file("/etc/resolv.conf"));
    return files;
  }
  write_file_replace(files.hostname_path, in.hostname + "\n");
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
  hosts += extra;
  if (!in.ip.empty()) hosts += in.ip + "\t" + in.hostname + "\n";
  write_file_replace(files.hosts_path, hosts);
  write_file_replace(files.resolv_conf_path, container_resolv_conf(in));
  return files;
}

}  // namespace berth::engine
