#include "engine/containers/legacy_links.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/error.hpp"

namespace berth::engine {

namespace {

struct Port {
  int number = 0;
  std::string proto;  // lower case: tcp, udp, sctp
  std::string number_text() const { return std::to_string(number); }
  std::string upper_proto() const {
    std::string out = proto;
    for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return out;
  }
};

// The linked container's exposed ports in dockerd's order: by number, tcp before the rest.
std::vector<Port> sorted_ports(const nlohmann::json& exposed) {
  std::vector<Port> ports;
  if (!exposed.is_object()) return ports;
  for (const auto& [key, _] : exposed.items()) {
    const auto slash = key.find('/');
    Port p;
    try {
      p.number = std::stoi(key.substr(0, slash));
    } catch (const std::exception&) {
      continue;  // not a port number
    }
    p.proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    for (auto& ch : p.proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    ports.push_back(p);
  }
  std::sort(ports.begin(), ports.end(), [](const Port& a, const Port& b) {
    if (a.number != b.number) return a.number < b.number;
    return a.proto == "tcp" && b.proto != "tcp";
  });
  return ports;
}

// dockerd's nextContiguous: the index of the last port in the run of consecutive numbers that
// starts at `index`.
size_t end_of_run(const std::vector<Port>& ports, size_t index) {
  int value = ports[index].number;
  for (size_t i = index + 1; i < ports.size(); ++i) {
    if (ports[i].number > value + 1) return i - 1;
    ++value;
  }
  return ports.size() - 1;
}

// The process sees one value per name: the first place, the last value (runc's setenv does this).
std::vector<std::string> without_repeats(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  std::map<std::string, size_t> place;
  for (const auto& entry : env) {
    const std::string key = entry.substr(0, entry.find('='));
    if (auto it = place.find(key); it != place.end()) {
      out[it->second] = entry;
    } else {
      place[key] = out.size();
      out.push_back(entry);
    }
  }
  return out;
}

std::string last_element(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

LinkRequest parse_link(const std::string& text) {
  if (text.empty()) throw InvalidArgument("empty string specified for links");
  const auto colon = text.find(':');
  if (colon == std::string::npos) return {text, text};
  if (text.find(':', colon + 1) != std::string::npos)
    throw InvalidArgument("bad format for links: " + text);
  const std::string name = text.substr(0, colon), alias = text.substr(colon + 1);
  // The form inspect shows ("/db:/web/alias"), which a client may send back.
  if (name.starts_with("/")) return {name.substr(1), last_element(alias)};
  return {name, alias};
}

std::vector<std::string> link_environment(const LinkedContainer& linked) {
  std::string alias = last_element(linked.link_name);
  for (auto& ch : alias) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (ch == '-') ch = '_';
  }
  const std::string& ip = linked.ip;
  const std::vector<Port> ports = sorted_ports(linked.exposed_ports);
  std::vector<std::string> env;
  auto url = [&](const Port& p) { return p.proto + "://" + ip + ":" + p.number_text(); };
  auto prefix = [&](const Port& p) {
    return alias + "_PORT_" + p.number_text() + "_" + p.upper_proto();
  };
  if (!ports.empty()) env.push_back(alias + "_PORT=" + url(ports.front()));
  // Runs of three or more consecutive ports also get a START/END block.
  for (size_t i = 0; i < ports.size();) {
    const size_t j = end_of_run(ports, i);
    if (j <= i + 1) {
      ++i;
      continue;
    }
    const Port& p = ports[i];
    const Port& q = ports[j];
    env.push_back(prefix(p) + "_START=" + url(p));
    env.push_back(prefix(p) + "_ADDR=" + ip);
    env.push_back(prefix(p) + "_PROTO=" + p.proto);
    env.push_back(prefix(p) + "_PORT_START=" + p.number_text());
    // dockerd names the end after the first port, with the last port's protocol.
    const std::string end_prefix = alias + "_PORT_" + p.number_text() + "_" + q.upper_proto();
    env.push_back(end_prefix + "_END=" + url(q));
    env.push_back(end_prefix + "_PORT_END=" + q.number_text());
    i = j + 1;
  }
  for (const Port& p : ports) {
    env.push_back(prefix(p) + "=" + url(p));
    env.push_back(prefix(p) + "_ADDR=" + ip);
    env.push_back(prefix(p) + "_PORT=" + p.number_text());
    env.push_back(prefix(p) + "_PROTO=" + p.proto);
  }
  env.push_back(alias + "_NAME=" + linked.link_name);
  if (linked.env.is_array()) {
    for (const auto& entry : linked.env) {
      if (!entry.is_string()) continue;
      const std::string text = entry.get<std::string>();
      const auto eq = text.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = text.substr(0, eq);
      if (key == "HOME" || key == "PATH") continue;  // build-time variables, not the service's
      env.push_back(alias + "_ENV_" + text);
    }
  }
  return without_repeats(env);
}

std::string link_hosts_line(const LinkedContainer& linked) {
  const std::string alias = last_element(linked.link_name);
  std::string names = alias + " " + linked.hostname;
  if (alias != linked.name) names += " " + linked.name;
  return linked.ip + "\t" + names + "\n";
}

std::string hosts_with_address(const std::string& hosts, const std::string& alias,
                               const std::string& ip) {
  std::string out;
  size_t pos = 0;
  while (pos < hosts.size()) {
    const size_t end = hosts.find('\n', pos);
    const size_t next = end == std::string::npos ? hosts.size() : end + 1;
    const std::string line = hosts.substr(pos, next - pos);
    pos = next;
    const std::string needle = "\t" + alias;
    const size_t at = line.find(needle);
    const size_t after = at == std::string::npos ? at : at + needle.size();
    const bool names_alias =
        after != std::string::npos && after < line.size() &&
        (std::isspace(static_cast<unsigned char>(line[after])) || line[after] == '.');
    // The address is what stands before that tab, when it is one word.
    const std::string address = names_alias ? line.substr(0, at) : "";
    if (names_alias && address.find_first_of(" \t") == std::string::npos) {
      out += ip + line.substr(at);
    } else {
      out += line;
    }
  }
  return out;
}

}  // namespace berth::engine
