// Legacy links (--link) between containers on the default bridge: recorded at create, checked and
// turned into /etc/hosts lines and variables at start, shown as dockerd shows them
// (HostConfig.Links, the linked container's extra names), reachable by their names ("web/db"),
// removed by `rm -l`.
#include <algorithm>
#include <cctype>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "engine/containers/container_files.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/legacy_links.hpp"

using nlohmann::json;

namespace berth::engine {

namespace {

const char* const kHostNetworkAndLinks =
    "conflicting options: host type networking can't be used with links. This would result in "
    "undefined behavior";
const char* const kContainerNetworkAndLinks =
    "conflicting options: container type network can't be used with links. This would result in "
    "undefined behavior";

// "web/db" or "/web/db": the linking container's name and the alias; nullopt for a plain name.
std::optional<std::pair<std::string, std::string>> split_link_name(const std::string& ref) {
  const std::string path = ref.starts_with("/") ? ref : "/" + ref;
  const auto slash = path.rfind('/');
  if (slash == 0 || slash + 1 == path.size()) return std::nullopt;
  return std::make_pair(path.substr(0, slash), path.substr(slash + 1));
}

}  // namespace

std::vector<ContainerLink> ContainerManager::requested_links(const json& host_config) const {
  std::vector<ContainerLink> links;
  const auto requested = get_string_array(host_config, "Links");
  if (requested.empty()) return links;
  const std::string mode = network_mode_of(host_config);
  if (mode == "host") throw InvalidArgument(kHostNetworkAndLinks);
  if (mode.starts_with("container:")) throw InvalidArgument(kContainerNetworkAndLinks);
  for (const auto& text : requested) {
    const LinkRequest request = parse_link(text);
    // The alias becomes a line of /etc/hosts and a variable name: nothing that would break those.
    if (request.alias.empty() ||
        std::any_of(request.alias.begin(), request.alias.end(), [](unsigned char ch) {
          return std::isspace(ch) || std::iscntrl(ch) || ch == '/';
        }))
      throw InvalidArgument("invalid alias for links: " + text);
    EntryPtr child;
    try {
      child = find(request.name);
    } catch (const NotFound& ex) {
      // 400, not 404: a 404 would make the CLI try to pull the image (moby#39823).
      throw InvalidArgument("could not get container for " + request.name + ": " + ex.what());
    }
    std::lock_guard lock(child->mutex);
    if (network_mode_of(child->c.host_config) == "host")
      throw InvalidArgument(kHostNetworkAndLinks);
    // dockerd keeps the first link of a name and ignores the others.
    const bool taken = std::any_of(links.begin(), links.end(), [&](const ContainerLink& l) {
      return l.alias == request.alias;
    });
    if (!taken) links.push_back({child->c.id, child->c.name, request.alias});
  }
  return links;
}

std::vector<LinkedContainer> ContainerManager::linked_containers(const Container& c) const {
  std::vector<LinkedContainer> out;
  for (const auto& link : c.links) {
    LinkedContainer linked;
    linked.link_name = c.name + "/" + link.alias;
    EntryPtr child;
    try {
      child = find(link.child_id);
    } catch (const NotFound&) {
      // Removed: dockerd still names it and calls it not running.
    }
    if (!child)
      throw Error("Cannot link to a non running container: " + link.child_name + " AS " +
                  linked.link_name);
    std::lock_guard lock(child->mutex);
    const Container& cc = child->c;
    if (network_mode_of(cc.host_config) != "bridge")
      throw Error("Cannot link to " + cc.name + ", as it does not belong to the default network");
    if (cc.state.status != "running" && cc.state.status != "paused")
      throw Error("Cannot link to a non running container: " + cc.name + " AS " + linked.link_name);
    linked.ip = cc.network.value("ip_address", "");
    linked.hostname = cc.config.value("Hostname", cc.short_id());
    linked.name = cc.bare_name();
    linked.env = cc.config.value("Env", json::array());
    linked.exposed_ports = cc.config.value("ExposedPorts", json::object());
    out.push_back(std::move(linked));
  }
  return out;
}

bool ContainerManager::linked_containers_running(const Container& c) const {
  try {
    linked_containers(c);
    return true;
  } catch (const Error&) {
    return false;
  }
}

void ContainerManager::apply_links(const Container& c, OciSpecInput& in,
                                   ContainerFilesInput& files) const {
  for (const auto& linked : linked_containers(c)) {
    files.link_lines.push_back(link_hosts_line(linked));
    const auto vars = link_environment(linked);
    in.link_env.insert(in.link_env.end(), vars.begin(), vars.end());
  }
}

std::vector<std::string> ContainerManager::link_env(const Container& c) const {
  std::vector<std::string> env;
  if (network_mode_of(c.host_config) != "bridge") return env;
  for (const auto& linked : linked_containers(c)) {
    const auto vars = link_environment(linked);
    env.insert(env.end(), vars.begin(), vars.end());
  }
  return env;
}

json ContainerManager::links_json(const Container& c) const {
  if (c.links.empty()) return nullptr;
  json out = json::array();
  for (const auto& link : c.links) {
    std::string child_name = link.child_name;
    try {
      child_name = get(link.child_id).name;
    } catch (const NotFound&) {
      // Gone: dockerd still shows the link under the name it had.
    }
    out.push_back(child_name + ":" + c.name + "/" + link.alias);
  }
  return out;
}

ContainerManager::EntryPtr ContainerManager::find_by_link_name(const std::string& ref) const {
  const auto parts = split_link_name(ref);
  if (!parts) return nullptr;
  EntryPtr parent;
  {
    std::lock_guard lock(mutex_);
    auto it = id_by_name_.find(parts->first);
    if (it == id_by_name_.end()) return nullptr;
    parent = by_id_.at(it->second);
  }
  std::string child_id;
  {
    std::lock_guard lock(parent->mutex);
    for (const auto& link : parent->c.links)
      if (link.alias == parts->second) child_id = link.child_id;
  }
  if (child_id.empty()) return nullptr;
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(child_id);
  return it == by_id_.end() ? nullptr : it->second;
}

void ContainerManager::index_links_locked(const Container& c) {
  for (const auto& link : c.links) linked_from_[link.child_id].emplace_back(c.id, link.alias);
}

void ContainerManager::unindex_links_locked(const std::string& linking_id) {
  for (auto& [_, from] : linked_from_)
    std::erase_if(from, [&](const auto& entry) { return entry.first == linking_id; });
  std::erase_if(linked_from_, [](const auto& item) { return item.second.empty(); });
}

void ContainerManager::update_linking_hosts(const Container& c) {
  std::vector<std::pair<std::string, std::string>> from;
  {
    std::lock_guard lock(mutex_);
    if (auto it = linked_from_.find(c.id); it != linked_from_.end()) from = it->second;
  }
  const std::string ip = c.network.value("ip_address", "");
  std::lock_guard files(hosts_files_mutex_);
  for (const auto& [linking_id, alias] : from) {
    const std::string path = container_dir(linking_id) + "/hosts";
    try {
      const std::string hosts = read_file(path);
      const std::string updated = hosts_with_address(hosts, alias, ip);
      if (updated != hosts) write_file_in_place(path, updated);  // the mounted file itself
    } catch (const Error&) {
      // Never started: its file is written, with this address, when it starts.
    }
  }
}

void ContainerManager::remove_link(const std::string& ref) {
  find(ref);  // "No such container: web/db", as dockerd answers first
  const auto parts = split_link_name(ref);
  if (!parts) throw Error("Conflict, cannot remove the default link name of the container");
  EntryPtr parent;
  {
    std::lock_guard lock(mutex_);
    auto it = id_by_name_.find(parts->first);
    if (it == id_by_name_.end())
      throw Error("Cannot get parent " + parts->first + " for link name " + parts->first + "/" +
                  parts->second);
    parent = by_id_.at(it->second);
  }
  std::lock_guard lock(parent->mutex);
  std::erase_if(parent->c.links,
                [&](const ContainerLink& link) { return link.alias == parts->second; });
  save(parent->c);
  std::lock_guard maps(mutex_);
  unindex_links_locked(parent->c.id);
  index_links_locked(parent->c);
}

}  // namespace berth::engine
