// `docker ps` rows are written as JSON text without an nlohmann tree: the text must be exactly what
// nlohmann's dump() of the same row gives (sorted keys, same escapes), since clients and scripts
// read it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/containers/container_views.hpp"
#include "engine/containers/json_text.hpp"

using namespace berth::engine;
using nlohmann::json;

namespace {

std::string as_json_string(std::string_view text) {
  std::string out;
  json_text::append_string(out, text);
  return out;
}

std::string row_of(const Container& c, std::optional<int64_t> size = std::nullopt) {
  std::string out;
  append_summary_json(out, c, size);
  return out;
}

json detached_endpoint() {
  return {{"Aliases", nullptr},       {"DNSNames", nullptr},   {"DriverOpts", nullptr},
          {"EndpointID", ""},         {"Gateway", ""},         {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0}, {"IPAMConfig", nullptr}, {"IPAddress", ""},
          {"IPPrefixLen", 0},         {"IPv6Gateway", ""},     {"Links", nullptr},
          {"MacAddress", ""},         {"NetworkID", ""}};
}

}  // namespace

TEST_CASE("JSON strings are escaped as nlohmann escapes them", "[engine][containers]") {
  for (const std::string& text :
       {std::string("plain"), std::string(""), std::string("quote \" backslash \\ slash /"),
        std::string("\b\f\n\r\t"), std::string("\x01\x1f\x7f", 3), std::string("nul\0byte", 8),
        std::string("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3")}) {
    CAPTURE(text);
    CHECK(as_json_string(text) == json(text).dump());
  }
  std::string number;
  json_text::append_int(number, -9223372036854775807LL - 1);
  CHECK(number == "-9223372036854775808");
}

TEST_CASE("a ps row for a plain container is nlohmann's text", "[engine][containers]") {
  Container c;
  c.id = std::string(64, 'a');
  c.name = "/quiet_one";
  c.created = "2024-05-06T07:08:09.123456789Z";
  c.image = "busybox";
  c.image_id = "sha256:" + std::string(64, 'b');
  c.path = "sh";
  c.args = {"-c", "echo hi there"};
  c.config = json::object();
  c.host_config = {{"NetworkMode", "none"}};
  const json expected = {{"Command", "sh -c 'echo hi there'"},
                         {"Created", 1714979289},
                         {"HostConfig", {{"NetworkMode", "none"}}},
                         {"Id", c.id},
                         {"Image", "busybox"},
                         {"ImageID", c.image_id},
                         {"Labels", json::object()},
                         {"Mounts", json::array()},
                         {"Names", {"/quiet_one"}},
                         {"NetworkSettings", {{"Networks", {{"none", detached_endpoint()}}}}},
                         {"Ports", json::array()},
                         {"State", "created"},
                         {"Status", "Created"}};
  CHECK(row_of(c) == expected.dump());

  json sized = expected;
  sized["SizeRw"] = 4096;
  sized["SizeRootFs"] = 4096;
  CHECK(row_of(c, 4096) == sized.dump());
}

TEST_CASE("a ps row shows labels, mounts, published ports and the endpoint",
          "[engine][containers]") {
  Container c;
  c.id = std::string(64, 'c');
  c.name = "/web";
  c.created = "2024-05-06T07:08:09Z";
  c.image = "my/app:1";
  c.image_id = "sha256:" + std::string(64, 'd');
  c.path = "httpd";
  c.args = {"-f"};
  c.config = {{"Labels", {{"tier", "front \"end\""}, {"a", "1"}}},
              {"ExposedPorts", {{"80/tcp", json::object()}}}};
  c.host_config = {{"Binds", {"/srv/data:/data:ro"}},
                   {"Mounts", {{{"Type", "tmpfs"}, {"Target", "/scratch"}}}}};
  const json endpoint = {{"IPAddress", "172.17.0.2"}, {"Gateway", "172.17.0.1"},
                         {"IPPrefixLen", 16},         {"MacAddress", "02:42:ac:11:00:02"},
                         {"NetworkID", "n1"},         {"EndpointID", "e1"}};
  c.network = {{"netns_path", "/run/x"},
               {"inspect",
                {{"Networks", {{"bridge", endpoint}}},
                 {"Ports",
                  {{"80/tcp",
                    {{{"HostIp", "0.0.0.0"}, {"HostPort", "8080"}},
                     {{"HostIp", "127.0.0.1"}, {"HostPort", "8081"}}}},
                   {"53/udp", nullptr}}}}}};
  c.state.status = "exited";
  c.state.exit_code = 3;
  c.state.finished_at = "2000-01-01T00:00:00Z";
  const json expected = {
      {"Command", "httpd -f"},
      {"Created", 1714979289},
      {"HostConfig", {{"NetworkMode", "default"}}},
      {"Id", c.id},
      {"Image", "my/app:1"},
      {"ImageID", c.image_id},
      {"Labels", {{"tier", "front \"end\""}, {"a", "1"}}},
      {"Mounts",
       {{{"Type", "bind"},
         {"Source", "/srv/data"},
         {"Destination", "/data"},
         {"Mode", "ro"},
         {"RW", false},
         {"Propagation", "rprivate"}},
        {{"Type", "tmpfs"},
         {"Source", ""},
         {"Destination", "/scratch"},
         {"Mode", ""},
         {"RW", true},
         {"Propagation", ""}}}},
      {"Names", {"/web"}},
      {"NetworkSettings", {{"Networks", {{"bridge", endpoint}}}}},
      {"Ports",
       {{{"PrivatePort", 53}, {"Type", "udp"}},
        // dockerd publishes a port's tcp bindings in reverse order of request.
        {{"IP", "127.0.0.1"}, {"PrivatePort", 80}, {"PublicPort", 8081}, {"Type", "tcp"}},
        {{"IP", "0.0.0.0"}, {"PrivatePort", 80}, {"PublicPort", 8080}, {"Type", "tcp"}}}},
      {"State", "exited"},
      {"Status", human_status(c)}};
  CHECK(row_of(c) == expected.dump());

  // Stopped: no attachment, so no ports (not even the exposed ones, as dockerd) and an empty
  // endpoint.
  c.network = nullptr;
  json stopped = expected;
  stopped["Ports"] = json::array();
  stopped["NetworkSettings"] = {{"Networks", {{"bridge", detached_endpoint()}}}};
  CHECK(row_of(c) == stopped.dump());
}

TEST_CASE("a ps row lists ports in dockerd's order, exposed ones too while attached",
          "[engine][containers]") {
  Container c;
  c.id = std::string(64, 'e');
  c.name = "/ports";
  c.created = "2024-05-06T07:08:09Z";
  c.path = "sleep";
  c.config = {
      {"ExposedPorts",
       {{"80/tcp", json::object()}, {"90/tcp", json::object()}, {"53/udp", json::object()}}}};
  c.host_config = {
      {"PortBindings",
       {{"80/tcp",
         {{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}, {{"HostIp", ""}, {"HostPort", "8090"}}}},
        {"53/udp",
         {{{"HostIp", ""}, {"HostPort", "5000"}},
          {{"HostIp", "127.0.0.1"}, {"HostPort", ""}},
          {{"HostIp", ""}, {"HostPort", "6000"}}}}}}};
  // The attachment reports the bindings in request order, with the host ports it picked.
  auto binding = [](const char* ip, const char* port) {
    return json{{"HostIp", ip}, {"HostPort", port}};
  };
  c.network = {{"inspect",
                {{"Ports",
                  {{"80/tcp", {binding("127.0.0.1", "32768"), binding("0.0.0.0", "8090")}},
                   {"53/udp",
                    {binding("0.0.0.0", "5000"), binding("127.0.0.1", "32769"),
                     binding("0.0.0.0", "6000")}}}}}}};
  c.state.status = "running";
  auto row = [](const char* ip, int priv, int pub, const char* type) {
    return json{{"IP", ip}, {"PrivatePort", priv}, {"PublicPort", pub}, {"Type", type}};
  };
  // udp: highest requested host port first, picked ones last; tcp: reverse order of request.
  const json expected = {
      row("0.0.0.0", 53, 6000, "udp"),    row("0.0.0.0", 53, 5000, "udp"),
      row("127.0.0.1", 53, 32769, "udp"), row("0.0.0.0", 80, 8090, "tcp"),
      row("127.0.0.1", 80, 32768, "tcp"), {{"PrivatePort", 90}, {"Type", "tcp"}}};
  CHECK(json::parse(row_of(c))["Ports"] == expected);

  // Created or stopped: none, as dockerd.
  c.network = nullptr;
  c.state.status = "created";
  CHECK(json::parse(row_of(c))["Ports"] == json::array());
}
