// berth's engine selection follows docker's rules, plus --machine / BERTH_MACHINE_NAME.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "cli/client/client_env.hpp"
#include "cli/client/engine_selection.hpp"
#include "common/error.hpp"

using namespace berth::cli::client;

namespace {

struct World {
  std::map<std::string, std::string> env;
  std::set<std::string> files;
  SelectionInputs inputs() {
    SelectionInputs in;
    in.getenv = [this](const std::string& k) -> std::optional<std::string> {
      auto it = env.find(k);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    in.file_exists = [this](const std::string& p) { return files.count(p) > 0; };
    in.machine = [](const std::string& name) {
      if (name != "dev") throw berth::NotFound("machine \"" + name + "\" does not exist");
      return MachineEngine{"tcp://192.0.2.7:2376", "/store/machines/dev"};
    };
    in.home = "/home/u";
    return in;
  }
};

}  // namespace

TEST_CASE("engine selection defaults to the local berthd socket without TLS") {
  World w;
  auto t = select_engine({}, w.inputs());
  CHECK(t.host == "unix:///run/berth/berth.sock");
  CHECK_FALSE(t.tls);
  CHECK(t.api_version.empty());
}

TEST_CASE("engine selection: -H beats DOCKER_HOST and DOCKER_HOST beats the default") {
  World w;
  w.env["DOCKER_HOST"] = "tcp://10.0.0.1:2375";
  CHECK(select_engine({}, w.inputs()).host == "tcp://10.0.0.1:2375");
  EngineFlags flags;
  flags.host = "unix:///tmp/x.sock";
  CHECK(select_engine(flags, w.inputs()).host == "unix:///tmp/x.sock");
}

TEST_CASE("engine selection: DOCKER_TLS_VERIFY uses the three files of DOCKER_CERT_PATH") {
  World w;
  w.env = {{"DOCKER_HOST", "tcp://10.0.0.1:2376"},
           {"DOCKER_TLS_VERIFY", "1"},
           {"DOCKER_CERT_PATH", "/certs"}};
  w.files = {"/certs/ca.pem", "/certs/cert.pem", "/certs/key.pem"};
  auto t = select_engine({}, w.inputs());
  CHECK(t.tls);
  CHECK(t.verify_server);
  CHECK(t.ca_file == "/certs/ca.pem");
  CHECK(t.cert_file == "/certs/cert.pem");
  CHECK(t.key_file == "/certs/key.pem");
}

TEST_CASE("engine selection: an empty DOCKER_TLS_VERIFY means no TLS as in docker") {
  World w;
  w.env = {{"DOCKER_HOST", "tcp://10.0.0.1:2375"}, {"DOCKER_TLS_VERIFY", ""}};
  CHECK_FALSE(select_engine({}, w.inputs()).tls);
}

TEST_CASE("engine selection: --tls without verify skips the CA and drops missing default certs") {
  World w;
  EngineFlags flags;
  flags.tls = true;
  auto t = select_engine(flags, w.inputs());
  CHECK(t.tls);
  CHECK_FALSE(t.verify_server);
  CHECK(t.cert_file.empty());  // ~/.docker/cert.pem does not exist
  CHECK(t.key_file.empty());
}

TEST_CASE("engine selection: explicit --tlscacert/--tlscert/--tlskey win over the cert path") {
  World w;
  w.env["DOCKER_CERT_PATH"] = "/certs";
  EngineFlags flags;
  flags.tlsverify = true;
  flags.tlscacert = "/a/ca.pem";
  flags.tlscert = "/a/c.pem";
  flags.tlskey = "/a/k.pem";
  auto t = select_engine(flags, w.inputs());
  CHECK(t.verify_server);
  CHECK(t.ca_file == "/a/ca.pem");
  CHECK(t.cert_file == "/a/c.pem");
  CHECK(t.key_file == "/a/k.pem");
}

TEST_CASE("engine selection: --tlsverify=false still turns TLS on but does not verify") {
  World w;
  w.env["DOCKER_TLS_VERIFY"] = "1";
  EngineFlags flags;
  flags.tlsverify = false;
  auto t = select_engine(flags, w.inputs());
  CHECK(t.tls);
  CHECK_FALSE(t.verify_server);
}

TEST_CASE(
    "engine selection: --machine uses the store's URL and the machine folder's certificates") {
  World w;
  w.env["DOCKER_HOST"] = "tcp://10.9.9.9:2376";  // an explicit --machine beats the environment
  EngineFlags flags;
  flags.machine = "dev";
  auto t = select_engine(flags, w.inputs());
  CHECK(t.host == "tcp://192.0.2.7:2376");
  CHECK(t.tls);
  CHECK(t.verify_server);
  CHECK(t.ca_file == "/store/machines/dev/ca.pem");
  CHECK(t.cert_file == "/store/machines/dev/cert.pem");
  CHECK(t.key_file == "/store/machines/dev/key.pem");
  CHECK(t.machine_name == "dev");
}

TEST_CASE("engine selection: BERTH_MACHINE_NAME applies only when DOCKER_HOST is not set") {
  World w;
  w.env["BERTH_MACHINE_NAME"] = "dev";
  CHECK(select_engine({}, w.inputs()).host == "tcp://192.0.2.7:2376");
  w.env["DOCKER_HOST"] = "unix:///other.sock";
  CHECK(select_engine({}, w.inputs()).host == "unix:///other.sock");
}

TEST_CASE("engine selection: an unknown machine and -H with --machine are refused") {
  World w;
  EngineFlags flags;
  flags.machine = "nope";
  CHECK_THROWS_WITH(select_engine(flags, w.inputs()), Catch::Contains("nope"));
  flags.host = "unix:///x";
  CHECK_THROWS_AS(select_engine(flags, w.inputs()), berth::InvalidArgument);
}

TEST_CASE("engine selection: DOCKER_API_VERSION pins the version") {
  World w;
  w.env["DOCKER_API_VERSION"] = "1.41";
  CHECK(select_engine({}, w.inputs()).api_version == "1.41");
}

TEST_CASE("API version negotiation takes the older of engine and client") {
  CHECK(negotiate_api_version("1.50") == "1.50");
  CHECK(negotiate_api_version("1.51") == "1.50");
  CHECK(negotiate_api_version("1.43") == "1.43");
  CHECK(negotiate_api_version("") == "1.24");  // no header: docker assumes 1.24
  CHECK(compare_api_versions("1.9", "1.10") < 0);
  CHECK(compare_api_versions("1.50", "1.50") == 0);
}

TEST_CASE("command_word skips global options and their values") {
  CHECK(command_word({"-H", "unix:///x", "run", "busybox"}) == "run");
  CHECK(command_word({"-s", "/store", "machine", "ls"}) == "machine");
  CHECK(command_word({"--tlsverify", "ps"}) == "ps");
  CHECK(command_word({"--version"}) == "");
}
