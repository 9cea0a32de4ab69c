// `berth machine …` end to end over the real store, certificates and CLI11 parsing, with a fake
// driver (tests/unit/cli_test_support.hpp) in place of libvirt.
#include <catch2/catch.hpp>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/certificates.hpp"
#include "unit/cli_test_support.hpp"

using namespace berth;
using berth::testing::CliHarness;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

void create(CliHarness& cli, const std::string& name, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"create", "-d", "fake", name};
  args.insert(args.end(), extra.begin(), extra.end());
  auto result = cli.run(args);
  INFO(result.out << result.err);
  REQUIRE(result.code == 0);
}

}  // namespace

TEST_CASE("cli create: steps with elapsed time, certificates, key and record", "[cli]") {
  CliHarness cli;
  auto result = cli.run({"create", "-d", "fake", "--tls-san", "dev.example.test", "--engine-label",
                         "env=dev", "dev"});
  INFO(result.err);
  REQUIRE(result.code == 0);
  CHECK_THAT(result.out, Contains("s] Creating the machine"));
  CHECK_THAT(result.out, Contains("s] Copying certificates"));  // the provisioner's own steps
  CHECK_THAT(result.out, Contains("eval $(berth machine env dev)"));

  const auto dir = cli.root() + "/machines/dev/";
  for (auto file : {"config.json", "server.pem", "server-key.pem", "ca.pem", "cert.pem", "key.pem",
                    "id_ed25519", "id_ed25519.pub"}) {
    CHECK(fs::exists(dir + file));
  }
  auto sans = tls::certificate_sans(read_file(dir + "server.pem"));
  CHECK(std::find(sans.ips.begin(), sans.ips.end(), "192.0.2.10") != sans.ips.end());
  CHECK(std::find(sans.dns.begin(), sans.dns.end(), "dev.example.test") != sans.dns.end());

  auto config = Json::parse(read_file(dir + "config.json"));
  CHECK(config["driver"] == "fake");
  CHECK(config["engine"]["labels"] == Json::array({"env=dev"}));
  CHECK(config["ssh_host_key"] == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKey");
  CHECK(config["engine_version"] == "v0.1.0");
  CHECK(cli.world.provision_calls == 1);
}

TEST_CASE("cli create: a failed provisioning removes the machine and says what to do", "[cli]") {
  CliHarness cli;
  cli.world.fail_provision = true;
  auto result = cli.run({"create", "-d", "fake", "dev"});
  CHECK(result.code == 1);
  CHECK_THAT(result.err, Contains("creating machine \"dev\" failed"));
  CHECK_THAT(result.err, Contains("SSH connection refused"));
  CHECK_THAT(result.err, Contains("run the same `berth machine create` again"));
  CHECK_FALSE(fs::exists(cli.root() + "/machines/dev"));
  CHECK(cli.world.vms.count("dev") == 0);
  // Nothing left behind, so the same command works once the cause is gone.
  cli.world.fail_provision = false;
  create(cli, "dev");
}

TEST_CASE("cli: bad input gives clear errors and a non-zero exit", "[cli]") {
  CliHarness cli;
  auto unknown_driver = cli.run({"create", "-d", "virtualbox", "dev"});
  CHECK(unknown_driver.code != 0);
  CHECK_THAT(unknown_driver.err, Contains("unknown driver \"virtualbox\""));
  CHECK_FALSE(fs::exists(cli.root() + "/machines/dev"));

  auto bad_name = cli.run({"create", "-d", "fake", "Bad_Name"});
  CHECK(bad_name.code != 0);
  CHECK_THAT(bad_name.err, Contains("invalid machine name \"Bad_Name\""));

  auto unknown_machine = cli.run({"ip", "ghost"});
  CHECK(unknown_machine.code != 0);
  CHECK_THAT(unknown_machine.err, Contains("machine \"ghost\" does not exist"));

  create(cli, "dev");
  auto again = cli.run({"create", "-d", "fake", "dev"});
  CHECK(again.code != 0);
  CHECK_THAT(again.err, Contains("machine \"dev\" already exists"));

  auto stray_dashes = cli.run({"ls", "--", "x"});
  CHECK(stray_dashes.code == 2);
  CHECK_THAT(stray_dashes.err, Contains("only for `berth machine ssh"));

  auto bad_flag = cli.run({"ls", "--no-such-flag"});
  CHECK(bad_flag.code == 2);

  auto bad_network = cli.run({"create", "-d", "fake", "--libvirt-network", "bridge", "x"});
  CHECK(bad_network.code == 2);
  CHECK_THAT(bad_network.err, Contains("--libvirt-network"));

  auto bad_filter = cli.run({"ls", "--filter", "colour=red"});
  CHECK(bad_filter.code != 0);
  CHECK_THAT(bad_filter.err, Contains("invalid filter \"colour=red\""));

  auto none_without_url = cli.run({"create", "-d", "none", "n"});
  CHECK(none_without_url.code != 0);
  CHECK_THAT(none_without_url.err, Contains("--url"));
}

TEST_CASE("cli: no name means the machine \"default\"", "[cli]") {
  CliHarness cli;
  auto missing = cli.run({"ip"});
  CHECK(missing.code != 0);
  CHECK_THAT(missing.err, Contains("machine \"default\" does not exist"));
  create(cli, "default");
  auto ip = cli.run({"ip"});
  CHECK(ip.code == 0);
  CHECK(ip.out == "192.0.2.10\n");
}

TEST_CASE("cli: stop, start and kill act on two machines at once", "[cli]") {
  CliHarness cli;
  create(cli, "a");
  create(cli, "b");
  auto stop = cli.run({"stop", "a", "b"});
  CHECK(stop.code == 0);
  CHECK(stop.out == "Machine \"a\" was stopped.\nMachine \"b\" was stopped.\n");
  CHECK(cli.run({"status", "a", "b"}).out == "Stopped\nStopped\n");
  CHECK(cli.run({"start", "a", "b"}).code == 0);
  CHECK(cli.run({"status", "a", "b"}).out == "Running\nRunning\n");
  CHECK(cli.run({"kill", "b"}).code == 0);
  CHECK(cli.run({"status", "a", "b"}).out == "Running\nStopped\n");

  // One failing name does not stop the others, and the exit code reports it.
  auto mixed = cli.run({"stop", "a", "ghost"});
  CHECK(mixed.code == 1);
  CHECK_THAT(mixed.out, Contains("Machine \"a\" was stopped."));
  CHECK_THAT(mixed.err, Contains("machine \"ghost\" does not exist"));
}

TEST_CASE("cli start: an address change re-issues the server certificate", "[cli]") {
  CliHarness cli;
  create(cli, "dev");
  CHECK(cli.run({"stop", "dev"}).code == 0);
  cli.world.vms["dev"].ip = "192.0.2.77";
  auto start = cli.run({"start", "dev"});
  INFO(start.err);
  CHECK(start.code == 0);
  CHECK_THAT(start.out, Contains("changed its address from 192.0.2.10 to 192.0.2.77"));
  auto sans = tls::certificate_sans(read_file(cli.root() + "/machines/dev/server.pem"));
  CHECK(std::find(sans.ips.begin(), sans.ips.end(), "192.0.2.77") != sans.ips.end());
  CHECK(cli.world.provision_calls == 2);
  // Unchanged address: no new certificate, no provisioning.
  CHECK(cli.run({"restart", "dev"}).code == 0);
  CHECK(cli.world.provision_calls == 2);
}

TEST_CASE("cli ls: table, quiet, filters, formats and the active machine", "[cli]") {
  CliHarness cli;
  create(cli, "a");
  create(cli, "b");
  CHECK(cli.run({"stop", "b"}).code == 0);
  cli.env["DOCKER_HOST"] = "tcp://192.0.2.10:2376";

  auto table = cli.run({"ls"});
  CHECK(table.code == 0);
  CHECK(table.out ==
        "NAME   ACTIVE   DRIVER   STATE     URL                     ENGINE    ERRORS\n"
        "a      *        fake     Running   tcp://192.0.2.10:2376   v0.1.0\n"
        "b      -        fake     Stopped                           Unknown\n");
  CHECK(cli.run({"ls", "-q"}).out == "a\nb\n");
  CHECK(cli.run({"ls", "--filter", "state=stopped", "-q"}).out == "b\n");
  CHECK(cli.run({"ls", "--filter", "active=true", "-q"}).out == "a\n");
  CHECK(cli.run({"ls", "--format", "{{.Name}}: {{.State}}"}).out == "a: Running\nb: Stopped\n");
  auto json = Json::parse(cli.run({"ls", "--format", "json"}).out);
  REQUIRE(json.size() == 2);
  CHECK(json[0]["Name"] == "a");
  CHECK(json[0]["DockerVersion"] == "v0.1.0");
  CHECK(cli.run({"active"}).out == "a\n");
}

TEST_CASE("cli ls/rm: a VM deleted behind berth's back shows Error, and rm still cleans up",
          "[cli]") {
  CliHarness cli;
  create(cli, "gone");
  create(cli, "fine");
  cli.world.vms.erase("gone");
  auto ls = cli.run({"ls"});
  CHECK(ls.code == 0);
  CHECK_THAT(ls.out, Contains("gone   -        fake     Error"));
  CHECK_THAT(ls.out, Contains("domain gone does not exist in libvirt"));
  CHECK_THAT(ls.out, Contains("fine   -        fake     Running"));

  auto rm = cli.run({"rm", "-y", "gone"});
  CHECK(rm.code == 0);
  CHECK_THAT(rm.out, Contains("Successfully removed gone"));
  CHECK_FALSE(fs::exists(cli.root() + "/machines/gone"));
  CHECK(cli.run({"ls", "-q"}).out == "fine\n");
}

TEST_CASE("cli: a corrupt config.json is named, the other machines keep working", "[cli]") {
  CliHarness cli;
  create(cli, "broken");
  create(cli, "ok");
  const auto config = cli.root() + "/machines/broken/config.json";
  write_file_atomic(config, "not json", 0600);

  auto ls = cli.run({"ls"});
  CHECK(ls.code == 0);
  CHECK_THAT(ls.out, Contains("broken"));
  CHECK_THAT(ls.out, Contains(config));
  CHECK_THAT(ls.out, Contains("ok       -        fake     Running"));

  auto ip = cli.run({"ip", "broken"});
  CHECK(ip.code == 1);
  CHECK_THAT(ip.err, Contains(config));
  CHECK(cli.run({"ip", "ok"}).out == "192.0.2.10\n");

  auto rm = cli.run({"rm", "-y", "broken"});
  CHECK(rm.code == 1);
  CHECK_THAT(rm.err, Contains("rm -f broken"));
  auto forced = cli.run({"rm", "-f", "broken"});
  CHECK(forced.code == 0);
  CHECK_THAT(forced.out, Contains("Warning:"));
  CHECK_FALSE(fs::exists(cli.root() + "/machines/broken"));
}

TEST_CASE("cli rm: asks first, and removes nothing without a yes", "[cli]") {
  CliHarness cli;
  create(cli, "dev");
  cli.stdin_text = "n\n";
  auto no = cli.run({"rm", "dev"});
  CHECK(no.code == 1);
  CHECK_THAT(no.out, Contains("Are you sure? (y/n)"));
  CHECK(fs::exists(cli.root() + "/machines/dev/config.json"));
  cli.stdin_text = "y\n";
  CHECK(cli.run({"rm", "dev"}).code == 0);
  CHECK_FALSE(fs::exists(cli.root() + "/machines/dev"));
  CHECK(cli.world.vms.count("dev") == 0);
}

TEST_CASE("cli env/config/url/inspect print what docker needs", "[cli]") {
  CliHarness cli;
  create(cli, "dev");
  const auto dir = cli.root() + "/machines/dev";
  cli.env["SHELL"] = "/usr/bin/fish";
  auto env = cli.run({"env", "dev"});
  CHECK(env.code == 0);
  CHECK_THAT(env.out, Contains("set -gx DOCKER_HOST \"tcp://192.0.2.10:2376\";"));
  CHECK_THAT(env.out, Contains("set -gx DOCKER_CERT_PATH \"" + dir + "\";"));
  CHECK_THAT(env.out, Contains("# eval (berth machine env dev)"));

  cli.env["NO_PROXY"] = "localhost";
  auto proxied = cli.run({"env", "--shell", "bash", "--no-proxy", "dev"});
  CHECK_THAT(proxied.out, Contains("export NO_PROXY=\"localhost,192.0.2.10\""));
  auto unset = cli.run({"env", "--shell", "tcsh", "-u"});
  CHECK(unset.code == 0);
  CHECK_THAT(unset.out, Contains("unsetenv DOCKER_HOST;"));

  CHECK(cli.run({"url", "dev"}).out == "tcp://192.0.2.10:2376\n");
  CHECK(cli.run({"config", "dev"}).out ==
        "--tlsverify\n--tlscacert=\"" + dir + "/ca.pem\"\n--tlscert=\"" + dir +
            "/cert.pem\"\n--tlskey=\"" + dir + "/key.pem\"\n-H=tcp://192.0.2.10:2376\n");
  auto inspect = Json::parse(cli.run({"inspect", "dev"}).out);
  CHECK(inspect["DriverName"] == "fake");
  CHECK(inspect["IPAddress"] == "192.0.2.10");
  CHECK(cli.run({"inspect", "-f", "{{.Driver.name}} {{.IPAddress}}", "dev"}).out ==
        "dev 192.0.2.10\n");
  auto bad = cli.run({"inspect", "-f", "{{.Nope}}", "dev"});
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, Contains("can't evaluate field Nope"));

  CHECK(cli.run({"stop", "dev"}).code == 0);
  auto stopped = cli.run({"env", "dev"});
  CHECK(stopped.code == 1);
  CHECK_THAT(stopped.err, Contains("it is Stopped"));
}

TEST_CASE("cli ssh/scp: the system client with the machine's key and recorded host key", "[cli]") {
  CliHarness cli;
  create(cli, "dev");
  const auto dir = cli.root() + "/machines/dev";
  auto ssh = cli.run({"ssh", "dev", "--", "uname", "-a"});
  INFO(ssh.err);
  CHECK(ssh.code == 0);
  REQUIRE(cli.world.processes.size() == 1);
  auto argv = cli.world.processes[0];
  CHECK(argv.front() == "ssh");
  CHECK(std::find(argv.begin(), argv.end(), dir + "/id_ed25519") != argv.end());
  CHECK(std::find(argv.begin(), argv.end(), "StrictHostKeyChecking=yes") != argv.end());
  CHECK(std::vector<std::string>(argv.end() - 3, argv.end()) ==
        std::vector<std::string>{"root@192.0.2.10", "uname", "-a"});
  CHECK(read_file(dir + "/known_hosts") ==
        "192.0.2.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKey\n");

  auto scp = cli.run({"scp", "-r", "dev:/etc/hostname", "/tmp/out"});
  CHECK(scp.code == 0);
  REQUIRE(cli.world.processes.size() == 2);
  argv = cli.world.processes[1];
  CHECK(argv.front() == "scp");
  CHECK(std::vector<std::string>(argv.end() - 3, argv.end()) ==
        std::vector<std::string>{"-r", "root@192.0.2.10:/etc/hostname", "/tmp/out"});

  auto local_only = cli.run({"scp", "/a", "/b"});
  CHECK(local_only.code == 1);
  CHECK_THAT(local_only.err, Contains("NAME:PATH"));

  CHECK(cli.run({"stop", "dev"}).code == 0);
  auto stopped = cli.run({"ssh", "dev"});
  CHECK(stopped.code == 1);
  CHECK_THAT(stopped.err, Contains("cannot ssh to machine \"dev\": it is Stopped"));
  CHECK_THAT(stopped.err, Contains("berth machine start dev"));
  CHECK(cli.world.processes.size() == 2);
}

TEST_CASE("cli regenerate-certs --client-certs replaces the CA and re-provisions", "[cli]") {
  CliHarness cli;
  create(cli, "dev");
  const auto dir = cli.root() + "/machines/dev/";
  auto old_ca = read_file(dir + "ca.pem");
  auto result = cli.run({"regenerate-certs", "-f", "--client-certs", "dev"});
  INFO(result.err);
  CHECK(result.code == 0);
  CHECK(read_file(dir + "ca.pem") != old_ca);
  tls::verify_certificate(read_file(dir + "ca.pem"), read_file(dir + "server.pem"));
  tls::verify_certificate(read_file(dir + "ca.pem"), read_file(dir + "cert.pem"));
  CHECK(cli.world.provision_calls == 2);
}

TEST_CASE("cli: the none driver records an engine URL and refuses to stop it", "[cli]") {
  CliHarness cli;
  auto create_none = cli.run({"create", "-d", "none", "--url", "tcp://127.0.0.1:2376", "ext"});
  INFO(create_none.err);
  REQUIRE(create_none.code == 0);
  CHECK(cli.world.provision_calls == 0);
  CHECK(cli.run({"url", "ext"}).out == "tcp://127.0.0.1:2376\n");
  CHECK(fs::exists(cli.root() + "/machines/ext/cert.pem"));
  auto stop = cli.run({"stop", "ext"});
  CHECK(stop.code == 1);
  CHECK_THAT(stop.err, Contains("none driver"));
}

TEST_CASE("cli version", "[cli]") {
  CliHarness cli;
  auto version = cli.run({"version"});
  CHECK(version.code == 0);
  CHECK_THAT(version.out, Catch::Matchers::StartsWith("berth version "));
}
