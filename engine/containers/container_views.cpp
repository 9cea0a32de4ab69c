#include "engine/containers/container_views.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "common/error.hpp"
#include "common/go_quote.hpp"
#include "common/json.hpp"
#include "common/time_format.hpp"
#include "engine/containers/container_files.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/json_text.hpp"
#include "engine/images/image_store.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace berth::engine {

namespace {

int64_t unix_seconds(const std::string& rfc3339) {
  try {
    return std::chrono::duration_cast<std::chrono::seconds>(
               parse_rfc3339(rfc3339).time_since_epoch())
        .count();
  } catch (const std::exception&) {
    return 0;
  }
}

// The endpoint docker shows for a network the container is not attached to (stopped, or none).
const json& detached_endpoint() {
  static const json endpoint = {
      {"IPAMConfig", nullptr}, {"Links", nullptr},        {"Aliases", nullptr},
      {"MacAddress", ""},      {"NetworkID", ""},         {"EndpointID", ""},
      {"Gateway", ""},         {"IPAddress", ""},         {"IPPrefixLen", 0},
      {"IPv6Gateway", ""},     {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0},
      {"DriverOpts", nullptr}, {"DNSNames", nullptr}};
  return endpoint;
}

// The attachment's view of network `name` while the container runs attached to it, else null.
const json* attached_endpoint(const Container& c, const std::string& name) {
  if (!c.network.is_object()) return nullptr;
  const auto view = c.network.find("inspect");
  if (view == c.network.end() || !view->is_object()) return nullptr;
  const auto networks = view->find("Networks");
  if (networks == view->end() || !networks->is_object()) return nullptr;
  const auto endpoint = networks->find(name);
  return endpoint == networks->end() ? nullptr : &*endpoint;
}

// NetworkSettings.Networks: the attachment's view while running, an empty endpoint otherwise.
json networks_json(const Container& c) {
  if (!network_donor_id(c).empty()) return json::object();  // on another's network: none of its own
  const std::string name = network_mode_of(c.host_config);
  const json* endpoint = attached_endpoint(c, name);
  return {{name, endpoint ? *endpoint : detached_endpoint()}};
}

// The published ports the attachment reports while running, else null.
const json* attached_ports(const Container& c) {
  if (!c.network.is_object()) return nullptr;
  const auto view = c.network.find("inspect");
  if (view == c.network.end() || !view->is_object()) return nullptr;
  const auto ports = view->find("Ports");
  return ports == view->end() ? nullptr : &*ports;
}

// "80" as "80/tcp": the keys of ExposedPorts and PortBindings may leave out the default protocol.
std::string port_key(const std::string& key) {
  return key.find('/') == std::string::npos ? key + "/tcp" : key;
}

// Go's nat toInt: the first port of a HostPort ("8080" or "8080-8081"), 0 for "pick one" or junk.
uint64_t requested_host_port(const json& binding) {
  const std::string text = binding.is_object() ? binding.value("HostPort", "") : "";
  try {
    return std::stoull(text.substr(0, text.find('-')));
  } catch (const std::exception&) {
    return 0;
  }
}

// The host port each binding of `key` asked for, in request order (HostConfig.PortBindings).
std::vector<uint64_t> requested_host_ports(const Container& c, const std::string& key) {
  std::vector<uint64_t> requested;
  const auto bindings = c.host_config.find("PortBindings");
  if (bindings == c.host_config.end() || !bindings->is_object()) return requested;
  for (const auto& [spec, list] : bindings->items())
    if (port_key(spec) == key && list.is_array())
      for (const auto& b : list) requested.push_back(requested_host_port(b));
  return requested;
}

// The bindings of one container port in dockerd's order. dockerd sorts all bindings before
// publishing them (nat.SortPortMap) with a comparison that, between two bindings of one port,
// holds for any tcp pair (so tcp bindings come out in reverse order of request) and for udp only
// when the first asked for the higher host port (an insertion sort: highest first, ties kept).
json dockerd_binding_order(const Container& c, const std::string& key, const json& bindings) {
  if (!bindings.is_array()) return bindings;
  const std::vector<uint64_t> requested = requested_host_ports(c, key);
  std::vector<std::pair<uint64_t, json>> entries;
  for (size_t i = 0; i < bindings.size(); ++i)
    entries.emplace_back(i < requested.size() ? requested[i] : 0, bindings[i]);
  if (key.ends_with("/tcp")) {
    std::reverse(entries.begin(), entries.end());
  } else {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
  }
  json ordered = json::array();
  for (auto& [_, binding] : entries) ordered.push_back(std::move(binding));
  return ordered;
}

// NetworkSettings.Ports as dockerd fills it: only while the container is attached to a network
// that publishes ports (not created, stopped, or on none/host, where it is {}), and then every
// exposed port, null where nothing is published.
json ports_json(const Container& c) {
  json ports = json::object();
  const json* bound = attached_ports(c);
  if (!bound || !bound->is_object()) return ports;
  if (const auto exposed = c.config.find("ExposedPorts");
      exposed != c.config.end() && exposed->is_object())
    for (const auto& [key, _] : exposed->items()) ports[port_key(key)] = nullptr;
  for (const auto& [key, bindings] : bound->items())
    ports[port_key(key)] = dockerd_binding_order(c, port_key(key), bindings);
  return ports;
}

int64_t directory_size(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (const auto& f :
       fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec))
    if (f.is_regular_file(ec) && !f.is_symlink(ec)) total += static_cast<int64_t>(f.file_size(ec));
  return total;
}

json mounts_json(const Container& c) {
  json mounts = json::array();
  if (c.host_config.contains("Binds") && c.host_config["Binds"].is_array()) {
    for (const auto& b : c.host_config["Binds"]) {
      const std::string bind = b.get<std::string>();
      const auto first = bind.find(':');
      const std::string src = bind.substr(0, first);
      std::string rest = bind.substr(first + 1);
      const auto second = rest.find(':');
      const std::string dst = rest.substr(0, second);
      const std::string mode = second == std::string::npos ? "" : rest.substr(second + 1);
      mounts.push_back({{"Type", "bind"},
                        {"Source", src},
                        {"Destination", dst},
                        {"Mode", mode},
                        {"RW", mode.find("ro") == std::string::npos},
                        {"Propagation", "rprivate"}});
    }
  }
  // --mount entries, as docker inspect shows them.
  if (c.host_config.contains("Mounts") && c.host_config["Mounts"].is_array()) {
    for (const auto& m : c.host_config["Mounts"]) {
      const std::string type = m.value("Type", "");
      const bool read_only = m.value("ReadOnly", false);
      json entry = {{"Type", type},
                    {"Source", m.value("Source", "")},
                    {"Destination", m.value("Target", "")},
                    {"Mode", ""},
                    {"RW", !read_only},
                    {"Propagation", type == "bind" ? "rprivate" : ""}};
      mounts.push_back(std::move(entry));
    }
  }
  return mounts;
}

}  // namespace

// A container's ports as dockerd's publish=/expose= filters see them ("80/tcp"): the private
// ports of every row docker ps shows, and the host ports of those that are published.
ContainerFilter::PortSets ContainerFilter::port_sets(const Container& c) {
  PortSets sets;
  const json ports = ports_json(c);  // named: a temporary would die before the loop runs
  for (const auto& [port, bindings] : ports.items()) {
    sets.exposed.insert(port);
    if (!bindings.is_array()) continue;
    const std::string proto = port.substr(port.find('/'));
    for (const auto& b : bindings)
      if (!b.value("HostPort", "").empty()) sets.published.insert(b.value("HostPort", "") + proto);
  }
  return sets;
}

json inspect_json(const Container& c, const ContainerManager& m) {
  const auto& s = c.state;
  const std::string dir = m.container_dir(c.id);
  // On another container's network the files are that one's.
  const std::string donor = network_donor_id(c);
  // dockerd names the files, and the log, once they exist: from the first start on.
  const ContainerFiles files =
      !c.has_been_started ? ContainerFiles{}
                          : container_files_in(donor.empty() ? dir : m.container_dir(donor));
  json config = c.config;
  config["Image"] = c.image;
  for (const char* key : {"Hostname", "Domainname", "User", "WorkingDir"})
    if (!config.contains(key)) config[key] = "";
  for (const char* key :
       {"AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"})
    if (!config.contains(key)) config[key] = false;
  json network = networks_json(c);
  // Once started, the network's ID stays on an endpoint that is not attached (stopped, host,
  // none), as dockerd keeps it.
  for (auto& [name, endpoint] : network.items())
    if (c.has_been_started && endpoint.value("NetworkID", "").empty() &&
        (name == "bridge" || name == "host" || name == "none"))
      endpoint["NetworkID"] = m.network_id(name);
  json settings = {{"Bridge", ""},
                   {"SandboxID", c.network.is_object() ? c.id : ""},
                   {"SandboxKey", c.network.is_object() ? c.network.value("netns_path", "") : ""},
                   {"HairpinMode", false},
                   {"LinkLocalIPv6Address", ""},
                   {"LinkLocalIPv6PrefixLen", 0},
                   {"Ports", ports_json(c)},
                   {"Networks", network}};
  // The default bridge's endpoint, repeated at the top as Docker always has it (empty on other
  // networks).
  const json& ep = network.contains("bridge") ? network["bridge"] : detached_endpoint();
  for (const char* key : {"EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress",
                          "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPv6Gateway"})
    settings[key] = ep.value(key, json());
  settings["SecondaryIPAddresses"] = nullptr;
  settings["SecondaryIPv6Addresses"] = nullptr;
  const bool running = s.status == "running" || s.status == "paused";
  json inspect = {{"Id", c.id},
                  {"Created", c.created},
                  {"Path", c.path},
                  {"Args", c.args},
                  {"State",
                   {{"Status", s.status},
                    {"Running", running || s.status == "restarting"},
                    {"Paused", s.status == "paused"},
                    {"Restarting", s.status == "restarting"},
                    {"OOMKilled", s.oom_killed},
                    {"Dead", s.status == "dead"},
                    {"Pid", s.pid},
                    {"ExitCode", s.exit_code},
                    {"Error", s.error},
                    {"StartedAt", s.started_at},
                    {"FinishedAt", s.finished_at}}},
                  {"Image", c.image_id},
                  {"ResolvConfPath", files.resolv_conf_path},
                  {"HostnamePath", files.hostname_path},
                  {"HostsPath", files.hosts_path},
                  {"LogPath", c.keeps_no_log() || !c.has_been_started ? "" : m.log_path(c.id)},
                  {"Name", c.name},
                  {"RestartCount", c.restart_count},
                  {"Driver", "overlay2"},
                  {"Platform", "linux"},
                  {"MountLabel", ""},
                  {"ProcessLabel", ""},
                  {"AppArmorProfile", ""},
                  {"ExecIDs", nullptr},
                  {"HostConfig", c.host_config},
                  {"GraphDriver",
                   {{"Name", "overlay2"},
                    {"Data",
                     {{"MergedDir", m.rootfs_dir(c.id)},
                      {"UpperDir", dir + "/rw/upper"},
                      {"WorkDir", dir + "/rw/work"}}}}},
                  {"Mounts", mounts_json(c)},
                  {"Config", config},
                  {"NetworkSettings", settings}};
  // Absent, not null, without a health check: docker's omitempty, which templates rely on.
  if (!s.health.is_null()) inspect["State"]["Health"] = s.health;
  return inspect;
}

void adapt_inspect_to_api(json& inspect, int api_version) {
  if (api_version < 142) {  // removed in 1.42; older clients still read them
    inspect["HostConfig"]["KernelMemory"] = 0;
    inspect["HostConfig"]["KernelMemoryTCP"] = 0;
  }
  auto networks = inspect["NetworkSettings"].find("Networks");
  if (networks == inspect["NetworkSettings"].end() || !networks->is_object()) return;
  for (auto& [name, endpoint] : networks->items()) {
    if (!endpoint.is_object()) continue;
    if (api_version < 144) endpoint.erase("DNSNames");
    if (api_version < 148) endpoint.erase("GwPriority");
  }
}

json ContainerManager::inspect(const std::string& ref) const {
  const Container c = get(ref);
  json out = inspect_json(c, *this);
  // The overlay's lower layers, top first: the container's init layer, then the image's.
  try {
    std::string lower = init_layer_dir(c.id);
    for (const auto& layer : images_.layer_dirs(images_.get(c.image_id)))
      lower += ":" + layer.string();
    out["GraphDriver"]["Data"]["LowerDir"] = lower;
  } catch (const NotFound&) {
    // The image went away under a forced rmi: its layers are no longer named.
  }
  out["HostConfig"]["Links"] = links_json(c);
  // --volumes-from: the sources' mounts are the container's too, as dockerd lists them.
  if (c.host_config.contains("VolumesFrom") && c.host_config["VolumesFrom"].is_array() &&
      !c.host_config["VolumesFrom"].empty()) {
    Container expanded = c;
    expanded.host_config = host_config_with_volumes_from(c);
    out["Mounts"] = mounts_json(expanded);
  }
  return out;
}

namespace {

// One entry of a ps row's Ports per binding: {"IP","PrivatePort","PublicPort","Type"}, or just the
// private port and type for a port that is exposed but not published.
void append_port_rows(std::string& out, bool& first, const std::string& key, const json& bindings) {
  using namespace json_text;
  const auto slash = key.find('/');
  const int private_port = std::stoi(key.substr(0, slash));
  const std::string type = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
  auto append_row = [&](const std::string* ip, std::optional<int> public_port) {
    if (!first) out += ',';
    first = false;
    out += '{';
    if (ip) {
      append_key(out, "IP");
      append_string(out, *ip);
      out += ',';
    }
    append_key(out, "PrivatePort");
    append_int(out, private_port);
    out += ',';
    if (public_port) {
      append_key(out, "PublicPort");
      append_int(out, *public_port);
      out += ',';
    }
    append_key(out, "Type");
    append_string(out, type);
    out += '}';
  };
  if (!bindings.is_array() || bindings.empty()) {
    append_row(nullptr, std::nullopt);
    return;
  }
  for (const auto& b : bindings) {
    const std::string ip = b.value("HostIp", "0.0.0.0");
    append_row(&ip, std::stoi(b.value("HostPort", "0")));
  }
}

}  // namespace

int64_t container_size_rw(const Container& c, const ContainerManager& m) {
  return directory_size(m.container_dir(c.id) + "/rw/upper");
}

std::pair<int64_t, int64_t> container_sizes(const Container& c, const ContainerManager& m,
                                            const ImageStore& images) {
  const int64_t size_rw = container_size_rw(c, m);
  int64_t image_size = 0;
  try {
    image_size = images.get(c.image_id).size;
  } catch (const Error&) {
    // The image went (rmi -f): the container's own size is all there is to count.
  }
  return {size_rw, size_rw + image_size};
}

// Written as text rather than built as an nlohmann tree: `docker ps` asks for every container, and
// the tree (copies of Labels, ports and endpoints, a map node per key) cost ~35 µs a row. Keys are
// written in sorted order, as nlohmann's std::map objects print them, so the text is what
// summary rows always were.
void append_summary_json(std::string& out, const Container& c, std::optional<int64_t> size_rw,
                         std::optional<int64_t> size_root_fs, const SummaryExtras& extras) {
  using namespace json_text;
  std::string command = c.path;
  for (const auto& a : c.args)
    command += " " + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
  out += '{';
  append_key(out, "Command");
  append_string(out, command);
  out += ',';
  append_key(out, "Created");
  append_int(out, unix_seconds(c.created));
  out += ',';
  append_key(out, "HostConfig");
  out += '{';
  append_key(out, "NetworkMode");
  append_string(out, c.host_config.value("NetworkMode", "default"));
  out += "},";
  append_key(out, "Id");
  append_string(out, c.id);
  out += ',';
  append_key(out, "Image");
  append_string(out, extras.image ? *extras.image : c.image);
  out += ',';
  append_key(out, "ImageID");
  append_string(out, c.image_id);
  out += ',';
  append_key(out, "Labels");
  const auto labels = c.config.find("Labels");
  out += labels == c.config.end() ? "{}" : labels->dump();
  out += ',';
  append_key(out, "Mounts");
  // Most containers have no mounts: skip building an empty tree for them.
  auto has_entries = [&](const char* key) {
    const auto found = c.host_config.find(key);
    return found != c.host_config.end() && found->is_array() && !found->empty();
  };
  out += has_entries("Binds") || has_entries("Mounts") ? mounts_json(c).dump() : "[]";
  out += ',';
  append_key(out, "Names");
  out += '[';
  append_string(out, c.name);
  if (extras.link_names)
    for (const auto& name : *extras.link_names) {
      out += ',';
      append_string(out, name);
    }
  out += "],";
  append_key(out, "NetworkSettings");
  out += '{';
  append_key(out, "Networks");
  out += '{';
  if (network_donor_id(c).empty()) {  // on another's network: none of its own
    const std::string network = network_mode_of(c.host_config);
    append_string(out, network);
    out += ':';
    const json* endpoint = attached_endpoint(c, network);
    if (endpoint && extras.api_version >= 148) {
      out += endpoint->dump();
    } else if (endpoint) {
      json shown = *endpoint;
      if (extras.api_version < 144) shown.erase("DNSNames");
      shown.erase("GwPriority");
      out += shown.dump();
    } else {
      // Not attached: the network's ID once the container has started (as inspect shows it).
      const std::string* started = nullptr;
      if (extras.detached_endpoints && c.has_been_started)
        if (const auto it = extras.detached_endpoints->find(network);
            it != extras.detached_endpoints->end())
          started = &it->second;
      if (started) {
        out += *started;
      } else if (extras.api_version >= 144) {
        static const std::string detached = detached_endpoint().dump();
        out += detached;
      } else {
        static const std::string detached_before_144 = [] {
          json shown = detached_endpoint();
          shown.erase("DNSNames");
          return shown.dump();
        }();
        out += detached_before_144;
      }
    }
  }
  out += "}},";
  append_key(out, "Ports");
  out += '[';
  bool first = true;
  // dockerd derives these rows from NetworkSettings.Ports: none unless attached.
  if (attached_ports(c)) {
    const json ports = ports_json(c);
    for (const auto& [key, bindings] : ports.items()) append_port_rows(out, first, key, bindings);
  }
  out += "],";
  // Docker leaves either size out when it is 0 (omitempty).
  if (const int64_t root_fs = size_root_fs.value_or(size_rw.value_or(0)); root_fs > 0) {
    append_key(out, "SizeRootFs");
    append_int(out, root_fs);
    out += ',';
  }
  if (size_rw && *size_rw > 0) {
    append_key(out, "SizeRw");
    append_int(out, *size_rw);
    out += ',';
  }
  append_key(out, "State");
  append_string(out, c.state.status);
  out += ',';
  append_key(out, "Status");
  append_string(out, human_status(c));
  out += '}';
}

std::map<std::string, std::string> detached_endpoint_texts(const ContainerManager& m,
                                                           int api_version) {
  std::map<std::string, std::string> texts;
  for (const char* name : {"bridge", "host", "none"}) {
    json shown = detached_endpoint();
    shown["NetworkID"] = m.network_id(name);
    if (api_version < 144) shown.erase("DNSNames");
    texts[name] = shown.dump();
  }
  return texts;
}

json summary_json(const Container& c, const ContainerManager& m, const ImageStore& images,
                  int api_version) {
  std::string text;
  const auto [size_rw, size_root_fs] = container_sizes(c, m, images);
  SummaryExtras extras;
  extras.api_version = api_version;
  const auto detached = detached_endpoint_texts(m, api_version);
  extras.detached_endpoints = &detached;
  append_summary_json(text, c, size_rw, size_root_fs, extras);
  return json::parse(text);
}

namespace {

// dockerd's invalidFilter error: "Invalid filter 'key'", or with the value as Go prints it.
[[noreturn]] void invalid_filter(const std::string& key, const std::string& value = "") {
  throw InvalidArgument("Invalid filter '" + key + (value.empty() ? "" : "=" + value) + "'");
}

// A filter's values as Go's %s prints a []string: "[a b]".
std::string go_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& v : values) out += (out.size() > 1 ? " " : "") + v;
  return out + "]";
}

// Go's strconv.ParseUint(text, 10, 16): decimal digits only, at most 65535; its error otherwise.
uint64_t go_parse_port(const std::string& text) {
  auto error = [&](const char* why) {
    return InvalidArgument("strconv.ParseUint: parsing " + go_quote(text) + ": " + why);
  };
  if (text.empty()) throw error("invalid syntax");
  uint64_t n = 0;
  for (const char ch : text) {  // as Go scans: the first bad digit or overflow decides
    if (ch < '0' || ch > '9') throw error("invalid syntax");
    n = n * 10 + static_cast<uint64_t>(ch - '0');
    if (n > 65535) throw error("value out of range");
  }
  return n;
}

// Go's strconv.Atoi, with its error text (an exited= value).
int64_t go_atoi(const std::string& text) {
  auto error = [&](const char* why) {
    return InvalidArgument("strconv.Atoi: parsing " + go_quote(text) + ": " + why);
  };
  const bool negative = !text.empty() && text[0] == '-';
  const std::string digits =
      !text.empty() && (text[0] == '-' || text[0] == '+') ? text.substr(1) : text;
  if (digits.empty()) throw error("invalid syntax");
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t n = 0;
  for (const char ch : digits) {
    if (ch < '0' || ch > '9') throw error("invalid syntax");
    const uint64_t digit = static_cast<uint64_t>(ch - '0');
    if (n > (limit - digit) / 10) throw error("value out of range");
    n = n * 10 + digit;
  }
  return negative ? static_cast<int64_t>(0 - n) : static_cast<int64_t>(n);
}

// dockerd's portOp: "80", "80/udp", "8000-8002/tcp" as "<port>/<proto>" keys, refused with its
// texts.
void add_port_filter(const std::string& key, const std::string& value, std::set<std::string>& set) {
  if (value.find(':') != std::string::npos)
    throw InvalidArgument("filter for '" + key + "' should not contain ':': " + value);
  // nat.SplitProtoPort: the protocol after the first '/', tcp when absent or empty.
  const auto slash = value.find('/');
  std::string port = value.substr(0, slash);
  std::string proto = slash == std::string::npos ? "tcp" : value.substr(slash + 1);
  proto = proto.substr(0, proto.find('/'));
  if (proto.empty()) proto = "tcp";
  auto lookup_error = [&](const std::string& why) {
    return InvalidArgument("error while looking up for " + key + " " + port + ": " + why);
  };
  if (port.empty()) throw lookup_error("Empty string specified for ports.");
  uint64_t low = 0, high = 0;
  try {
    // nat.ParsePortRange: "a" or "a-b" (anything after a second '-' is ignored).
    const auto dash = port.find('-');
    low = go_parse_port(port.substr(0, dash));
    high = dash == std::string::npos
               ? low
               : go_parse_port(port.substr(dash + 1, port.find('-', dash + 1) - dash - 1));
  } catch (const InvalidArgument& e) {
    throw lookup_error(e.what());
  }
  if (high < low) throw lookup_error("Invalid range specified for the Port: " + port);
  for (uint64_t p = low; p <= high; ++p) set.insert(std::to_string(p) + "/" + proto);
}

}  // namespace

// Checked in dockerd's order (foldFilter), with its texts.
ContainerFilter ContainerFilter::parse(const std::string& filters_json) {
  ContainerFilter f;
  static const std::vector<std::string> known = {
      "status", "name",  "label",  "id",      "ancestor", "exited", "network",
      "before", "since", "health", "publish", "expose",   "volume", "is-task"};
  f.terms_ = parse_docker_filters(filters_json);
  for (const auto& [key, values] : f.terms_)
    if (std::find(known.begin(), known.end(), key) == known.end()) invalid_filter(key);
  for (const auto& s : f.values("exited")) f.exited_codes_.push_back(go_atoi(s));
  static const std::vector<std::string> statuses = {"created", "restarting", "running", "removing",
                                                    "paused",  "exited",     "dead"};
  for (const auto& s : f.values("status"))
    if (std::find(statuses.begin(), statuses.end(), s) == statuses.end())
      invalid_filter("status", s);
  // is-task: exactly "true" or "false" (berth runs no swarm: no container is a task).
  if (f.has("is-task")) {
    const auto& v = f.values("is-task");
    if (std::find(v.begin(), v.end(), "true") != v.end())
      f.is_task_ = true;
    else if (std::find(v.begin(), v.end(), "false") != v.end())
      f.is_task_ = false;
    else
      invalid_filter("is-task", go_list(v));
  }
  static const std::vector<std::string> health = {"starting", "healthy", "unhealthy", "none"};
  for (const auto& s : f.values("health"))
    if (std::find(health.begin(), health.end(), s) == health.end())
      throw InvalidArgument("Unrecognised filter value for health: " + s);
  for (const auto& s : f.values("publish")) add_port_filter("publish", s, f.publish_);
  for (const auto& s : f.values("expose")) add_port_filter("expose", s, f.expose_);
  for (const auto& s : f.values("name")) {
    try {
      f.name_patterns_.emplace_back(std::regex(s));
    } catch (const std::regex_error&) {
      f.name_patterns_.emplace_back(std::nullopt);  // matched as plain text
    }
  }
  return f;
}

ContainerFilter ContainerFilter::parse_for_prune(const std::string& filters_json,
                                                 std::chrono::system_clock::time_point now) {
  ContainerFilter f;
  f.terms_ = parse_docker_filters(filters_json);
  for (const auto& [key, values] : f.terms_)
    if (key != "until" && key != "label" && key != "label!") invalid_filter(key);
  const auto& until = f.values("until");
  if (until.size() > 1) throw InvalidArgument("more than one until filter specified");
  if (!until.empty()) f.until_ = parse_docker_time(until.front(), now);
  return f;
}

void ContainerFilter::resolve_images(
    const std::function<std::string(const std::string&)>& resolve_image) {
  ancestor_ids_.clear();
  for (const auto& ref : values("ancestor")) ancestor_ids_.push_back(resolve_image(ref));
}

void ContainerFilter::resolve_references(
    const std::function<std::string(const std::string&)>& created_of) {
  for (auto [key, bound] : {std::pair{"before", &before_}, std::pair{"since", &since_}}) {
    const auto& refs = values(key);
    if (refs.size() > 1)
      throw InvalidArgument(std::string("more than one '") + key + "' filter: give one container");
    if (!refs.empty()) *bound = parse_rfc3339(created_of(refs.front()));
  }
}

const std::vector<std::string>& ContainerFilter::values(const std::string& key) const {
  static const std::vector<std::string> none;
  auto it = terms_.find(key);
  return it == terms_.end() ? none : it->second;
}

bool ContainerFilter::matches(const Container& c) const {
  auto any = [&](const std::string& key, auto&& pred) {
    const auto& v = values(key);
    return v.empty() || std::any_of(v.begin(), v.end(), pred);
  };
  if (!any("status", [&](const std::string& s) { return s == c.state.status; })) return false;
  if (!any("id", [&](const std::string& s) { return c.id.starts_with(s); })) return false;
  if (!name_patterns_.empty()) {
    const std::string bare = c.bare_name();
    const auto& names = values("name");
    bool found = false;
    for (size_t i = 0; i < names.size() && !found; ++i) {
      const auto& pattern = name_patterns_[i];
      found = pattern ? std::regex_search(bare, *pattern) || std::regex_search(c.name, *pattern)
                      : bare.find(names[i]) != std::string::npos;
    }
    if (!found) return false;
  }
  if (!exited_codes_.empty() &&
      (c.state.status != "exited" || std::find(exited_codes_.begin(), exited_codes_.end(),
                                               c.state.exit_code) == exited_codes_.end()))
    return false;
  // Labels are AND'ed in docker, unlike the other keys.
  if (!values("label").empty()) {
    static const json no_labels = json::object();
    const auto found = c.config.find("Labels");
    const json& labels = found == c.config.end() ? no_labels : *found;
    for (const auto& s : values("label")) {
      const auto eq = s.find('=');
      const auto label = labels.is_object() ? labels.find(s.substr(0, eq)) : labels.end();
      if (label == labels.end() || (eq != std::string::npos && *label != s.substr(eq + 1)))
        return false;
    }
  }
  if (!values("ancestor").empty()) {
    const auto& refs = values("ancestor");
    bool found = false;
    for (size_t i = 0; i < refs.size() && !found; ++i) {
      const std::string& s = refs[i];
      const std::string& id = i < ancestor_ids_.size() ? ancestor_ids_[i] : std::string();
      found = c.image == s || c.image_id == s || c.image_id.starts_with("sha256:" + s) ||
              (!id.empty() && id == c.image_id);
    }
    if (!found) return false;
  }
  if (!any("network", [&](const std::string& s) { return network_mode_of(c.host_config) == s; }))
    return false;
  if (!any("health", [&](const std::string& s) {
        const std::string h = c.state.health.is_object() ? c.state.health.value("Status", "") : "";
        return s == (h.empty() ? "none" : h);
      }))
    return false;
  if (!publish_.empty() || !expose_.empty()) {
    const PortSets ports = port_sets(c);
    auto overlaps = [](const std::set<std::string>& wanted, const std::set<std::string>& have) {
      return std::any_of(wanted.begin(), wanted.end(),
                         [&](const std::string& p) { return have.contains(p); });
    };
    if (!publish_.empty() && !overlaps(publish_, ports.published)) return false;
    if (!expose_.empty() && !overlaps(expose_, ports.exposed)) return false;
  }
  if (!values("volume").empty()) {
    const json mounts = mounts_json(c);
    const bool found = std::any_of(mounts.begin(), mounts.end(), [&](const json& m) {
      const auto& v = values("volume");
      // A mount without a name (a bind) goes by its source, as dockerd indexes it.
      const std::string name = m.value("Name", "");
      return std::find(v.begin(), v.end(), m.value("Destination", "")) != v.end() ||
             std::find(v.begin(), v.end(), name.empty() ? m.value("Source", "") : name) != v.end();
    });
    if (!found) return false;
  }
  if (is_task_ == true) return false;  // berth runs no swarm: no container is a task
  if (!values("label!").empty()) {
    const json labels = c.config.value("Labels", json::object());
    for (const auto& s : values("label!")) {
      const auto eq = s.find('=');
      const std::string key = s.substr(0, eq);
      if (labels.is_object() && labels.contains(key) &&
          (eq == std::string::npos || labels[key] == s.substr(eq + 1)))
        return false;
    }
  }
  if (until_ && parse_rfc3339(c.created) >= *until_) return false;
  if (before_ || since_) {
    const auto created = parse_rfc3339(c.created);
    if (before_ && created >= *before_) return false;
    if (since_ && created <= *since_) return false;
  }
  return true;
}

}  // namespace berth::engine
