#pragma once
// Docker's legacy container links (`--link NAME[:ALIAS]`) on the default bridge, as dockerd 20.10
// makes them: the linking container gets a line for the linked one in /etc/hosts and the
// ALIAS_PORT_…, ALIAS_NAME and ALIAS_ENV_… variables. These are the pure parts; the container
// manager records links and checks that the linked containers run.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::engine {

struct LinkRequest {
  std::string name;   // the linked container, as the user named it
  std::string alias;  // the name it goes by inside the linking container
};

// dockerd's ParseLink: "db" (alias db), "db:alias", or the "/db:/web/alias" form inspect shows.
// Throws InvalidArgument ("bad format for links: …").
LinkRequest parse_link(const std::string& text);

// What the linking container learns about one linked container.
struct LinkedContainer {
  std::string link_name;         // "/web/alias": the linking container's name, then the alias
  std::string ip;                // the linked container's address on the default bridge
  std::string hostname;          // its Config.Hostname
  std::string name;              // its name without the slash
  nlohmann::json env;            // its Config.Env
  nlohmann::json exposed_ports;  // its Config.ExposedPorts {"6379/tcp": {}}
};

// dockerd's Link.ToEnv: ALIAS_PORT (the lowest port), ALIAS_PORT_<p>_<PROTO>_START/_END blocks for
// runs of three or more ports, ALIAS_PORT_<p>_<PROTO>[_ADDR|_PORT|_PROTO] per port, ALIAS_NAME,
// and ALIAS_ENV_<var> for the linked container's variables except HOME and PATH. A name set twice
// keeps its first place and its last value, as the process sees it.
std::vector<std::string> link_environment(const LinkedContainer& linked);

// The /etc/hosts line dockerd writes for a link: "IP\talias hostname name" (the name only when it
// differs from the alias), with its newline.
std::string link_hosts_line(const LinkedContainer& linked);

// dockerd's etchosts.Update: `hosts` with the address of every line that names `alias` (after a
// tab, followed by a space, a tab, a newline or a dot) replaced by `ip`.
std::string hosts_with_address(const std::string& hosts, const std::string& alias,
                               const std::string& ip);

}  // namespace berth::engine
