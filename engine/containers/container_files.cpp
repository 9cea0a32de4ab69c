#include "engine/containers/container_files.hpp"

#include <arpa/inet.h>

#include <regex>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace berth::engine {

namespace {

// The lines of a resolv.conf with comments ("#" to the end of the line) cut off, as libnetwork
// reads them.
std::vector<std::string> resolv_conf_lines(const std::string& content) {
  std::vector<std::string> lines;
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line.substr(0, line.find('#')));
  return lines;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool is_ip_address(std::string address) {
  address = address.substr(0, address.find('%'));  // an IPv6 zone
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, address.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, address.c_str(), buf) == 1;
}

std::vector<std::string> nameservers_of(const std::string& content) {
  std::vector<std::string> servers;
  for (const auto& line : resolv_conf_lines(content)) {
    const auto w = words(line);
    if (w.size() == 2 && w[0] == "nameserver" && is_ip_address(w[1])) servers.push_back(w[1]);
  }
  return servers;
}

// The words of the last "search" (or "options") line: a later line replaces an earlier one.
std::vector<std::string> last_keyword_line(const std::string& content, const std::string& keyword) {
  std::vector<std::string> values;
  for (const auto& line : resolv_conf_lines(content)) {
    auto w = words(line);
    if (w.empty() || w[0] != keyword) continue;
    values.assign(w.begin() + 1, w.end());
  }
  return values;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : " ") + v;
  return out;
}

// The host's file minus the name servers a container cannot use: loopback ones (the host's own
// resolver) and IPv6 ones (container networks here have no IPv6). As libnetwork's regexp does, a
// removed line takes the blank space after it along. No server left: Google's public resolvers.
std::string filtered_host_resolv_conf(const std::string& host) {
  static const std::regex unusable(
      R"(nameserver[ \t\r\f\v]+((127\.([0-9]{1,3}\.){2}[0-9]{1,3})|([0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(%\w+)?)\s*)");
  std::string out;
  size_t pos = 0;
  while (pos < host.size()) {
    std::smatch m;
    const bool line_start = pos == 0 || host[pos - 1] == '\n';
    if (line_start && std::regex_search(host.begin() + static_cast<std::ptrdiff_t>(pos), host.end(),
                                        m, unusable, std::regex_constants::match_continuous)) {
      pos += static_cast<size_t>(m.length(0));
      continue;
    }
    const size_t end = host.find('\n', pos);
    const size_t next = end == std::string::npos ? host.size() : end + 1;
    out += host.substr(pos, next - pos);
    pos = next;
  }
  if (nameservers_of(out).empty()) out += "\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return out;
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

std::string container_resolv_conf(const std::string& host, const ContainerFilesInput& in) {
  if (in.dns.empty() && in.dns_search.empty() && in.dns_options.empty())
    return filtered_host_resolv_conf(host);
  // Any of --dns, --dns-search, --dns-option: a new file; what was not given comes from the host.
  const auto servers = in.dns.empty() ? nameservers_of(host) : in.dns;
  const auto search = in.dns_search.empty() ? last_keyword_line(host, "search") : in.dns_search;
  const auto options = in.dns_options.empty() ? last_keyword_line(host, "options") : in.dns_options;
  std::string out;
  if (!search.empty() && joined(search) != ".") out += "search " + joined(search) + "\n";
  for (const auto& server : servers) out += "nameserver " + server + "\n";
  if (!options.empty()) out += "options " + joined(options) + "\n";
  return out;
}

std::string container_hosts(const ContainerFilesInput& in) {
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
  hosts += extra_host_lines(in);
  for (const auto& line : in.link_lines) hosts += line;
  if (in.ip.empty()) return hosts;
  // The full name and the bare host name, as dockerd writes them: --hostname a.example.com gives
  // "a.example.com a"; --domainname adds itself to the full name.
  std::string fqdn = in.hostname;
  const std::string short_name = in.hostname.substr(0, in.hostname.find('.'));
  if (!in.domainname.empty()) fqdn += "." + in.domainname;
  return hosts + in.ip + "\t" + fqdn + (fqdn != short_name ? " " + short_name : "") + "\n";
}

// Written afresh at every start, so a write lost to a power cut costs nothing: no fsync.
ContainerFiles container_files_in(const std::string& dir) {
  return {dir + "/hostname", dir + "/hosts", dir + "/resolv.conf"};
}

ContainerFiles write_container_files(const std::string& dir, const ContainerFilesInput& in) {
  const ContainerFiles files = container_files_in(dir);
  const std::string extra = extra_host_lines(in);
  if (in.host_network) {
    write_file_replace(files.hostname_path, read_file("/etc/hostname"));
    write_file_replace(files.hosts_path, read_file("/etc/hosts") + extra);
    // The host's resolver, unless --dns, --dns-search or --dns-option ask for another.
    const std::string host_resolv_conf = read_file("/etc/resolv.conf");
    const bool own_dns = !in.dns.empty() || !in.dns_search.empty() || !in.dns_options.empty();
    write_file_replace(files.resolv_conf_path,
                       own_dns ? container_resolv_conf(host_resolv_conf, in) : host_resolv_conf);
    return files;
  }
  write_file_replace(files.hostname_path, in.hostname + "\n");
  write_file_replace(files.hosts_path, container_hosts(in));
  std::string host_resolv_conf;
  try {
    host_resolv_conf = read_file("/etc/resolv.conf");
  } catch (const Error&) {
  }
  write_file_replace(files.resolv_conf_path, container_resolv_conf(host_resolv_conf, in));
  return files;
}

}  // namespace berth::engine
