// SshProvisioner against the fake SSH host: what ends up on the machine, in which order, and what
// the user reads when a step fails.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/json.hpp"
#include "machine/ssh_engine_config.hpp"
#include "machine/ssh_provisioner.hpp"
#include "unit/machine_ssh_fake.hpp"

using namespace berth;
using namespace berth::machine;
using berth::machine::testing::fake_ssh_factory;
using berth::machine::testing::FakeSshHost;
namespace fs = std::filesystem;

namespace {

using berth::machine::testing::sha256;

void write(const fs::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

struct Fixture {
  fs::path dir;
  std::shared_ptr<FakeSshHost> host = std::make_shared<FakeSshHost>();
  std::vector<std::string> steps;
  std::string probed_url;

  Fixture() {
    char tmpl[] = "/tmp/berth-prov-XXXXXX";
    dir = ::mkdtemp(tmpl);
    fs::create_directories(dir / "m");
    fs::create_directories(dir / "bin");
    for (const char* f : {"ca.pem", "server.pem", "server-key.pem", "cert.pem", "key.pem"}) {
      write(dir / "m" / f, std::string("PEM of ") + f);
    }
    for (const char* b : {"berthd", "berth-shim", "berth-agent"}) {
      write(dir / "bin" / b, std::string("binary ") + b);
    }
  }
  ~Fixture() { fs::remove_all(dir); }

  std::string local_hash(const std::string& binary) { return sha256("binary " + binary); }
  void machine_has_our_binaries() {
    for (const char* b : {"berthd", "berth-shim", "berth-agent"})
      host->binary_hashes[b] = local_hash(b);
  }

  ProvisionRequest request() {
    ProvisionRequest r;
    r.ssh.host = "192.0.2.10";
    r.ssh.private_key_path = (dir / "m" / "id_ed25519").string();
    r.engine_url = "tcp://192.0.2.10:2376";
    r.machine_dir = (dir / "m").string();
    r.bin_dir = (dir / "bin").string();
    r.timeout = std::chrono::seconds(5);
    return r;
  }

  SshProvisioner provisioner() {
    SshProvisioner p(fake_ssh_factory(host),
                     [this](const std::string& url, const std::string&, SshDeadline) {
                       probed_url = url;
                       return std::string("0.1.0");
                     });
    p.retry_interval = std::chrono::milliseconds(1);
    return p;
  }

  ProvisionResult provision(const ProvisionRequest& r) {
    return provisioner().provision(r, [this](const std::string& s) { steps.push_back(s); });
  }
  ProvisionResult provision() { return provision(request()); }

  bool ran(const std::string& part) const {
    for (const auto& c : host->commands)
      if (c.find(part) != std::string::npos) return true;
    return false;
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("provisioning records the host key on first contact and reports each step",
          "[machine][provision]") {
  Fixture f;
  const auto result = f.provision();
  CHECK(result.ssh_host_key == f.host->host_key);
  CHECK(result.os_name == "berth VM 0.1.0");
  CHECK(result.engine_version == "0.1.0");
  CHECK(f.probed_url == "tcp://192.0.2.10:2376");
  CHECK(f.steps == std::vector<std::string>{"Waiting for SSH", "Detecting the operating system",
                                            "Copying engine binaries", "Copying certificates",
                                            "Writing the engine configuration",
                                            "Restarting the engine",
                                            "Checking the engine over TLS"});
}

TEST_CASE("a machine presenting a different host key is refused before anything is changed",
          "[machine][provision]") {
  Fixture f;
  auto r = f.request();
  r.ssh.known_host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRecordedAtCreate";
  CHECK_THROWS_AS(f.provision(r), HostKeyChanged);
  const std::string message = error_of([&] { f.provision(r); });
  CHECK_THAT(message, Catch::Contains("SSH host key of 192.0.2.10:22 has changed"));
  CHECK_THAT(message, Catch::Contains("AAAAIRecordedAtCreate"));
  CHECK_THAT(message, Catch::Contains(f.host->host_key));
  CHECK_THAT(message, Catch::Contains("did not log in"));
  CHECK(f.host->commands.empty());
  CHECK(f.host->files.empty());
  CHECK(f.host->connects == 2);  // one per attempt above: a changed key is not retried
}

TEST_CASE("the recorded host key lets provisioning through", "[machine][provision]") {
  Fixture f;
  auto r = f.request();
  r.ssh.known_host_key = f.host->host_key;
  CHECK(f.provision(r).ssh_host_key == f.host->host_key);
}

TEST_CASE("provisioning waits for SSH while the machine boots, then gives up with the reason",
          "[machine][provision]") {
  Fixture f;
  f.host->refuse_connects = 3;
  f.provision();
  CHECK(f.host->connects == 4);

  Fixture g;
  g.host->refuse_connects = 1 << 30;
  auto r = g.request();
  r.timeout = std::chrono::milliseconds(50);
  const std::string message = error_of([&] { g.provision(r); });
  CHECK_THAT(message, Catch::StartsWith("provisioning failed at \"Waiting for SSH\""));
  CHECK_THAT(message, Catch::Contains("did not accept berth's key"));
  CHECK_THAT(message, Catch::Contains("Connection refused"));
}

TEST_CASE("OS detection reads PRETTY_NAME and refuses a host that is not Linux",
          "[machine][provision]") {
  Fixture f;
  f.host->os_release = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME='Debian GNU/Linux 12 (bookworm)'\n";
  CHECK(f.provision().os_name == "Debian GNU/Linux 12 (bookworm)");

  Fixture g;
  g.host->uname = "FreeBSD";
  const std::string message = error_of([&] { g.provision(); });
  CHECK_THAT(message,
             Catch::StartsWith("provisioning failed at \"Detecting the operating system\""));
  CHECK_THAT(message, Catch::Contains("runs FreeBSD, but berth engines run on Linux only"));
  CHECK(g.host->files.empty());
}

TEST_CASE("engine binaries are uploaded only when the machine's differ", "[machine][provision]") {
  SECTION("the same build: nothing uploaded, berthd restarted") {
    Fixture f;
    f.machine_has_our_binaries();
    f.provision();
    CHECK(f.host->files.count("/etc/berth/bin/berthd") == 0);
    CHECK(f.host->files.count("/etc/berth/bin/berth-shim") == 0);
    CHECK(f.host->files.count("/etc/berth/bin/berth-agent") == 0);
    CHECK(f.ran("kill -TERM $old"));
  }
  SECTION("another berthd: berthd and its shim go together, the agent stays") {
    Fixture f;
    f.machine_has_our_binaries();
    f.host->binary_hashes["berthd"] = "0000";
    f.provision();
    CHECK(f.host->files["/etc/berth/bin/berthd"] == "binary berthd");
    CHECK(f.host->modes["/etc/berth/bin/berthd"] == 0755);
    CHECK(f.host->files["/etc/berth/bin/berth-shim"] == "binary berth-shim");
    CHECK(f.host->files.count("/etc/berth/bin/berth-agent") == 0);
    CHECK(f.ran("mkdir -p /etc/berth/bin"));
  }
  SECTION("another agent: uploaded, and the agent itself restarted to run it") {
    Fixture f;
    f.machine_has_our_binaries();
    f.host->binary_hashes.erase("berth-agent");
    f.provision();
    CHECK(f.host->files["/etc/berth/bin/berth-agent"] == "binary berth-agent");
    CHECK(f.host->files.count("/etc/berth/bin/berthd") == 0);
    CHECK(f.ran("kill -TERM $agent"));
  }
  SECTION("a missing local binary is named") {
    Fixture f;
    fs::remove(f.dir / "bin" / "berth-shim");
    const std::string message = error_of([&] { f.provision(); });
    CHECK_THAT(message, Catch::StartsWith("provisioning failed at \"Copying engine binaries\""));
    CHECK_THAT(message, Catch::Contains((f.dir / "bin" / "berth-shim").string()));
  }
}

TEST_CASE("a machine that already has this build and its configuration is left alone",
          "[machine][provision]") {
  Fixture f;
  f.machine_has_our_binaries();
  for (auto& file : engine_config_files(f.request().machine_dir, f.request().engine)) {
    f.host->files[file.path] = file.contents;  // what the first-boot seed wrote
  }
  f.provision();
  CHECK(f.host->upload_order.empty());
  CHECK_FALSE(f.ran("kill"));
  CHECK(f.steps == std::vector<std::string>{"Waiting for SSH", "Detecting the operating system",
                                            "Copying engine binaries", "Copying certificates",
                                            "Writing the engine configuration",
                                            "Checking the engine over TLS"});

  SECTION("a stopped engine is restarted though nothing changed") {
    f.host->engine_running = false;
    f.provision();
    CHECK(f.host->upload_order.empty());
    CHECK(f.ran("pidof berth-agent"));
  }
  SECTION("only what differs is copied: a new server certificate") {
    std::ofstream(f.dir / "m" / "server.pem") << "PEM of a new server.pem";
    f.provision();
    CHECK(f.host->upload_order == std::vector<std::string>{"/etc/berth/certs/server.pem"});
    CHECK(f.host->files["/etc/berth/certs/server.pem"] == "PEM of a new server.pem");
    CHECK(f.ran("kill -TERM $old"));
  }
  SECTION("only what differs is copied: another --engine-label") {
    auto r = f.request();
    r.engine.labels = {"env=prod"};
    f.provision(r);
    CHECK(f.host->upload_order == std::vector<std::string>{"/etc/berth/daemon.json"});
    CHECK(f.ran("kill -TERM $old"));
  }
}

TEST_CASE("first-boot engine files are the provisioner's files relative to /etc/berth",
          "[machine][provision]") {
  Fixture f;
  EngineOptions engine;
  engine.env = {"A=1"};
  const auto files = first_boot_engine_files(f.request().machine_dir, engine);
  CHECK(files.size() == 5);
  CHECK(files.at("certs/server-key.pem") == "PEM of server-key.pem");
  CHECK(files.at("engine.env") == "A=1\n");
  CHECK(Json::parse(files.at("daemon.json"))["tlsverify"] == true);
  fs::remove(f.dir / "m" / "ca.pem");
  CHECK_THROWS_WITH(first_boot_engine_files(f.request().machine_dir, engine),
                    Catch::Contains("ca.pem does not exist"));
}

TEST_CASE("certificates land in /etc/berth/certs with the key private", "[machine][provision]") {
  Fixture f;
  f.provision();
  CHECK(f.host->files["/etc/berth/certs/ca.pem"] == "PEM of ca.pem");
  CHECK(f.host->files["/etc/berth/certs/server.pem"] == "PEM of server.pem");
  CHECK(f.host->files["/etc/berth/certs/server-key.pem"] == "PEM of server-key.pem");
  CHECK(f.host->modes["/etc/berth/certs/server-key.pem"] == 0600);
  CHECK(f.host->modes["/etc/berth/certs/ca.pem"] == 0644);
  // The client's own key never leaves this host.
  for (const auto& [path, data] : f.host->files) CHECK(data != "PEM of key.pem");
  // Configuration is written only after the certificates it names exist.
  const auto& order = f.host->upload_order;
  CHECK(std::find(order.begin(), order.end(), "/etc/berth/daemon.json") >
        std::find(order.begin(), order.end(), "/etc/berth/certs/server-key.pem"));
}

TEST_CASE("daemon.json carries TLS and the --engine-* options", "[machine][provision]") {
  Fixture f;
  auto r = f.request();
  r.engine.labels = {"env=dev", "team=a"};
  r.engine.insecure_registries = {"10.0.0.5:5000"};
  r.engine.registry_mirrors = {"http://127.0.0.1:5001"};
  r.engine.opts = {"debug=true", "dns=10.0.0.53", "log-level=warn"};
  r.engine.env = {"HTTP_PROXY=http://proxy:3128"};
  f.provision(r);
  REQUIRE(f.host->files.count("/etc/berth/daemon.json"));
  CHECK(f.host->modes["/etc/berth/daemon.json"] == 0600);
  const Json config = Json::parse(f.host->files["/etc/berth/daemon.json"]);
  CHECK(config["hosts"] == Json::array({"unix:///run/berth/berth.sock", "tcp://0.0.0.0:2376"}));
  CHECK(config["tlsverify"] == true);
  CHECK(config["tlscacert"] == "/etc/berth/certs/ca.pem");
  CHECK(config["tlscert"] == "/etc/berth/certs/server.pem");
  CHECK(config["tlskey"] == "/etc/berth/certs/server-key.pem");
  CHECK(config["labels"] == Json::array({"env=dev", "team=a"}));
  CHECK(config["insecure-registries"] == Json::array({"10.0.0.5:5000"}));
  CHECK(config["registry-mirrors"] == Json::array({"http://127.0.0.1:5001"}));
  CHECK(config["debug"] == true);
  CHECK(config["dns"] == Json::array({"10.0.0.53"}));
  CHECK(config["log-level"] == "warn");
  CHECK(f.host->files["/etc/berth/engine.env"] == "HTTP_PROXY=http://proxy:3128\n");
}

TEST_CASE("bad --engine-* options are named and stop provisioning before the restart",
          "[machine][provision]") {
  Fixture f;
  auto r = f.request();
  r.engine.opts = {"debug"};
  std::string message = error_of([&] { f.provision(r); });
  CHECK_THAT(message,
             Catch::StartsWith("provisioning failed at \"Writing the engine configuration\""));
  CHECK_THAT(message, Catch::Contains("--engine-opt \"debug\" is not KEY=VALUE"));
  CHECK_FALSE(f.ran("kill"));

  r.engine.opts = {"tlsverify=false"};
  message = error_of([&] { f.provision(r); });
  CHECK_THAT(message, Catch::Contains("would change the engine's TLS setup"));
  r.engine.opts = {};
  r.engine.env = {"NOEQUALS"};
  CHECK_THAT(error_of([&] { f.provision(r); }), Catch::Contains("--engine-env \"NOEQUALS\""));
}

TEST_CASE("a failing restart and an engine that never answers name their step",
          "[machine][provision]") {
  Fixture f;
  f.host->on_command = [](const std::string& c) -> std::optional<SshExecResult> {
    if (c.find("pidof berth-agent") == std::string::npos) return std::nullopt;
    return SshExecResult{3, "",
                         "berth-agent is not running on this host, so nothing would start "
                         "berthd again\n"};
  };
  std::string message = error_of([&] { f.provision(); });
  CHECK_THAT(message, Catch::StartsWith("provisioning failed at \"Restarting the engine\""));
  CHECK_THAT(message, Catch::Contains("berth-agent is not running on this host"));

  Fixture g;
  SshProvisioner p(
      fake_ssh_factory(g.host),
      [](const std::string&, const std::string&, SshDeadline) -> std::string {
        throw Timeout(
            "the engine at tcp://192.0.2.10:2376 did not answer /_ping over TLS in time: "
            "certificate verify failed");
      });
  try {
    p.provision(g.request(), {});
    FAIL("no error");
  } catch (const Timeout& e) {
    CHECK_THAT(e.what(),
               Catch::StartsWith("provisioning failed at \"Checking the engine over TLS\""));
    CHECK_THAT(e.what(), Catch::Contains("certificate verify failed"));
  }
}

TEST_CASE("uploads over exec write a temp file and rename it", "[machine][ssh]") {
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(upload_command("/etc/berth/bin/berthd", 0755) ==
        "umask 077 && cat > '/etc/berth/bin/berthd.berth-upload' && chmod 0755 "
        "'/etc/berth/bin/berthd.berth-upload' && mv -f '/etc/berth/bin/berthd.berth-upload' "
        "'/etc/berth/bin/berthd'");
  CHECK(os_pretty_name("NAME=Alpine\n") == "Alpine");
}

TEST_CASE("the machine's state: /etc/berth/bin wins over the image and PATH is the last resort",
          "[machine][provision]") {
  const auto state = parse_remote_state(
      "aaa  /etc/berth/bin/berthd\n"
      "ccc  /etc/berth/daemon.json\n"
      "bbb  image:berthd\n"
      "ddd  image:berth-shim\n"
      "eee  /usr/local/bin/berth-agent\n"
      "engine running\n");
  CHECK(state.at("berthd") == "aaa");
  CHECK(state.at("berth-shim") == "ddd");
  CHECK(state.at("berth-agent") == "eee");
  CHECK(state.at("/etc/berth/daemon.json") == "ccc");
  CHECK(state.at("/etc/berth/certs/ca.pem") == "-");
  CHECK(state.at("engine") == "running");
  const auto empty = parse_remote_state("");
  CHECK(empty.at("berthd") == "-");
  CHECK(empty.at("engine") == "stopped");
}
