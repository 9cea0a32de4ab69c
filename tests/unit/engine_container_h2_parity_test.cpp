// dockerd parity of container options: namespaces joined with --pid/--ipc container:X, exec's
// HOSTNAME, and the ps/prune filters (publish, expose, volume, is-task, until, label!).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/time_format.hpp"
#include "engine/containers/container_views.hpp"
#include "engine/containers/oci_spec.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;

namespace {

OciSpecInput plain_input() {
  OciSpecInput in;
  in.config = {{"Cmd", {"true"}}, {"Hostname", "c0ffee123456"}};
  in.host_config = json::object();
  in.rootfs = "/var/lib/berth/rootfs/abc";
  in.passwd_path = "/nonexistent/passwd";
  in.group_path = "/nonexistent/group";
  return in;
}

const json* namespace_of(const json& spec, const std::string& type) {
  for (const auto& ns : spec["linux"]["namespaces"])
    if (ns["type"] == type) return &ns;
  return nullptr;
}

Container container_with(json config, json host_config) {
  Container c;
  c.id = std::string(64, 'a');
  c.name = "/c";
  c.created = "2026-01-01T00:00:00Z";
  c.config = std::move(config);
  c.host_config = std::move(host_config);
  c.state.status = "exited";
  return c;
}

std::string filters(const json& terms) {
  return terms.dump();
}

}  // namespace

TEST_CASE("h2 --pid and --ipc container:X join the donor's namespaces and /dev/shm",
          "[engine][containers]") {
  OciSpecInput in = plain_input();
  in.host_config = {{"PidMode", "container:donor"}, {"IpcMode", "container:donor"}};
  in.pid_namespace = "/proc/42/ns/pid";
  in.ipc_namespace = "/proc/42/ns/ipc";
  in.shared_shm = "/proc/42/root/dev/shm";
  const json spec = make_oci_spec(in);
  REQUIRE(namespace_of(spec, "pid") != nullptr);
  CHECK((*namespace_of(spec, "pid"))["path"] == "/proc/42/ns/pid");
  REQUIRE(namespace_of(spec, "ipc") != nullptr);
  CHECK((*namespace_of(spec, "ipc"))["path"] == "/proc/42/ns/ipc");
  int shm_mounts = 0;
  for (const auto& m : spec["mounts"]) {
    if (m["destination"] != "/dev/shm") continue;
    ++shm_mounts;
    CHECK(m["type"] == "bind");
    CHECK(m["source"] == "/proc/42/root/dev/shm");
  }
  CHECK(shm_mounts == 1);
}

TEST_CASE("h2 without a donor the container gets new pid and ipc namespaces",
          "[engine][containers]") {
  OciSpecInput in = plain_input();
  in.host_config = {{"IpcMode", "private"}};
  const json spec = make_oci_spec(in);
  REQUIRE(namespace_of(spec, "pid") != nullptr);
  CHECK_FALSE(namespace_of(spec, "pid")->contains("path"));
  REQUIRE(namespace_of(spec, "ipc") != nullptr);
  CHECK_FALSE(namespace_of(spec, "ipc")->contains("path"));
}

TEST_CASE("h2 exec's HOSTNAME is the container's hostname", "[engine][containers]") {
  OciSpecInput in = plain_input();  // exec callers do not set in.hostname
  const json process = make_exec_process({{"Cmd", {"env"}}}, in);
  const auto env = process["env"].get<std::vector<std::string>>();
  CHECK(std::find(env.begin(), env.end(), "HOSTNAME=c0ffee123456") != env.end());
}

TEST_CASE("h2 ps filters publish, expose, volume and is-task", "[engine][containers]") {
  Container c =
      container_with({{"ExposedPorts", {{"80/tcp", json::object()}, {"53/udp", json::object()}}}},
                     {{"Binds", {"/tmp:/hosttmp"}}});
  // As dockerd: ports (exposed ones too) exist only while the container runs attached.
  CHECK_FALSE(ContainerFilter::parse(filters({{"expose", {{"80", true}}}})).matches(c));
  c.state.status = "running";
  c.network = {{"inspect", {{"Ports", json::object()}}}};
  CHECK(ContainerFilter::parse(filters({{"expose", {{"80", true}}}})).matches(c));
  CHECK(ContainerFilter::parse(filters({{"expose", {{"50-60/udp", true}}}})).matches(c));
  CHECK_FALSE(ContainerFilter::parse(filters({{"expose", {{"53", true}}}})).matches(c));
  CHECK_FALSE(ContainerFilter::parse(filters({{"publish", {{"80", true}}}})).matches(c));
  CHECK(ContainerFilter::parse(filters({{"volume", {{"/hosttmp", true}}}})).matches(c));
  CHECK_FALSE(ContainerFilter::parse(filters({{"volume", {{"/other", true}}}})).matches(c));
  CHECK(ContainerFilter::parse(filters({{"is-task", {{"false", true}}}})).matches(c));
  CHECK_FALSE(ContainerFilter::parse(filters({{"is-task", {{"true", true}}}})).matches(c));
  CHECK_THROWS_WITH(ContainerFilter::parse(filters({{"publish", {{"http", true}}}})),
                    "error while looking up for publish http: strconv.ParseUint: parsing "
                    "\"http\": invalid syntax");
}

TEST_CASE("h2 ps filter refusals are dockerd's texts", "[engine][containers]") {
  auto refusal = [](const json& terms) {
    try {
      ContainerFilter::parse(filters(terms));
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(refusal({{"bogus", {{"1", true}}}}) == "Invalid filter 'bogus'");
  CHECK(refusal({{"health", {{"bogus", true}}}}) == "Unrecognised filter value for health: bogus");
  CHECK(refusal({{"health", {{"none", true}, {"starting", true}}}}).empty());
  CHECK(refusal({{"status", {{"bogus", true}}}}) == "Invalid filter 'status=bogus'");
  CHECK(refusal({{"is-task", {{"1", true}}}}) == "Invalid filter 'is-task=[1]'");
  CHECK(refusal({{"is-task", {{"a", true}, {"b", true}}}}) == "Invalid filter 'is-task=[a b]'");
  CHECK(refusal({{"exited", {{"abc", true}}}}) == "strconv.Atoi: parsing \"abc\": invalid syntax");
  CHECK(refusal({{"exited", {{"-1", true}}}}).empty());
  CHECK(refusal({{"publish", {{"10-5", true}}}}) ==
        "error while looking up for publish 10-5: Invalid range specified for the Port: 10-5");
  CHECK(refusal({{"expose", {{"70000", true}}}}) ==
        "error while looking up for expose 70000: strconv.ParseUint: parsing \"70000\": value "
        "out of range");
  CHECK(refusal({{"publish", {{"1:2", true}}}}) ==
        "filter for 'publish' should not contain ':': 1:2");
  CHECK(refusal({{"publish", {{"80/xyz", true}}}}).empty());
  const auto now = std::chrono::system_clock::now();
  CHECK_THROWS_WITH(ContainerFilter::parse_for_prune(filters({{"bogus", {{"1", true}}}}), now),
                    "Invalid filter 'bogus'");
  CHECK_THROWS_WITH(ContainerFilter::parse_for_prune(filters({{"until", {{"bad", true}}}}), now),
                    "failed to parse value as time or duration: \"bad\"");
}

TEST_CASE("h2 exited= compares exit codes as numbers", "[engine][containers]") {
  Container c = container_with({}, json::object());
  c.state.status = "exited";
  c.state.exit_code = 7;
  CHECK(ContainerFilter::parse(filters({{"exited", {{"07", true}}}})).matches(c));
  CHECK_FALSE(ContainerFilter::parse(filters({{"exited", {{"8", true}}}})).matches(c));
}

TEST_CASE("h2 a running container's published ports match publish=", "[engine][containers]") {
  Container c = container_with({}, json::object());
  c.state.status = "running";
  c.network = {
      {"inspect", {{"Ports", {{"80/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "8080"}}}}}}}}};
  CHECK(ContainerFilter::parse(filters({{"publish", {{"8080", true}}}})).matches(c));
  CHECK(ContainerFilter::parse(filters({{"publish", {{"8080/tcp", true}}}})).matches(c));
  CHECK_FALSE(ContainerFilter::parse(filters({{"publish", {{"8080/udp", true}}}})).matches(c));
  CHECK(ContainerFilter::parse(filters({{"expose", {{"80", true}}}})).matches(c));
}

TEST_CASE("h2 prune filters: until, label and label!", "[engine][containers]") {
  const Container c = container_with({{"Labels", {{"keep", "yes"}}}}, json::object());
  const auto now = parse_rfc3339("2026-01-01T02:00:00Z");
  CHECK(ContainerFilter::parse_for_prune(filters({{"until", {{"1h", true}}}}), now).matches(c));
  CHECK_FALSE(
      ContainerFilter::parse_for_prune(filters({{"until", {{"3h", true}}}}), now).matches(c));
  CHECK(ContainerFilter::parse_for_prune(filters({{"label", {{"keep", true}}}}), now).matches(c));
  CHECK_FALSE(
      ContainerFilter::parse_for_prune(filters({{"label!", {{"keep", true}}}}), now).matches(c));
  CHECK_FALSE(ContainerFilter::parse_for_prune(filters({{"label!", {{"keep=yes", true}}}}), now)
                  .matches(c));
  CHECK(
      ContainerFilter::parse_for_prune(filters({{"label!", {{"keep=no", true}}}}), now).matches(c));
  CHECK_THROWS_AS(ContainerFilter::parse_for_prune(filters({{"status", {{"exited", true}}}}), now),
                  InvalidArgument);
}
