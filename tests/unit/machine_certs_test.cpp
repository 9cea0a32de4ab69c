#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "common/atomic_file.hpp"
#include "common/certificates.hpp"
#include "common/error.hpp"
#include "machine/cert_store.hpp"
#include "unit/cli_test_support.hpp"

using namespace berth;
using namespace berth::machine;

TEST_CASE("certs: server SANs are the IP, the name, localhost and every --tls-san, once each",
          "[machine][certs]") {
  auto sans = server_certificate_sans("192.168.151.10", "dev", {"dev.example.test", "localhost"});
  CHECK(sans == std::vector<std::string>{"192.168.151.10", "dev", "localhost", "127.0.0.1",
                                         "dev.example.test"});
}

TEST_CASE("certs: CA and client certificate are created on first use and kept after",
          "[machine][certs]") {
  testing::CliHarness dir;
  CertStore certs(dir.root() + "/certs");
  auto ca = certs.ensure();
  for (auto file : {kCaCert, kCaKey, kClientCert, kClientKey}) {
    CHECK(std::filesystem::exists(certs.path(file)));
  }
  struct stat st {};
  REQUIRE(::stat(certs.path(kCaKey).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  tls::verify_certificate(ca.cert_pem, read_file(certs.path(kClientCert)));
  auto again = certs.ensure();
  CHECK(again.cert_pem == ca.cert_pem);
}

TEST_CASE("certs: a machine's server certificate carries its SANs and chains to the CA",
          "[machine][certs]") {
  testing::CliHarness dir;
  CertStore certs(dir.root() + "/certs");
  auto machine_dir = dir.root() + "/machines/dev";
  ensure_directory(machine_dir);
  certs.issue_machine_certificates(machine_dir, "dev", "192.168.151.10", {"10.9.8.7", "dev.test"});

  auto server = read_file(machine_dir + "/server.pem");
  auto sans = tls::certificate_sans(server);
  auto has = [](const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  CHECK(has(sans.ips, "192.168.151.10"));
  CHECK(has(sans.ips, "127.0.0.1"));
  CHECK(has(sans.ips, "10.9.8.7"));
  CHECK(has(sans.dns, "dev"));
  CHECK(has(sans.dns, "localhost"));
  CHECK(has(sans.dns, "dev.test"));
  CHECK(tls::key_matches_certificate(server, read_file(machine_dir + "/server-key.pem")));
  // DOCKER_CERT_PATH=machine_dir must work alone: the client files are copied next to it.
  CHECK(read_file(machine_dir + "/ca.pem") == read_file(certs.path(kCaCert)));
  CHECK(read_file(machine_dir + "/cert.pem") == read_file(certs.path(kClientCert)));
  CHECK(read_file(machine_dir + "/key.pem") == read_file(certs.path(kClientKey)));
  tls::verify_certificate(read_file(machine_dir + "/ca.pem"), server);
}

TEST_CASE("certs: regenerate replaces the CA, and old server certificates no longer verify",
          "[machine][certs]") {
  testing::CliHarness dir;
  CertStore certs(dir.root() + "/certs");
  auto old_ca = certs.ensure();
  auto machine_dir = dir.root() + "/m";
  ensure_directory(machine_dir);
  certs.issue_machine_certificates(machine_dir, "m", "10.0.0.2", {});
  auto old_server = read_file(machine_dir + "/server.pem");
  auto new_ca = certs.regenerate();
  CHECK(new_ca.cert_pem != old_ca.cert_pem);
  CHECK_THROWS_AS(tls::verify_certificate(new_ca.cert_pem, old_server), Error);
}

TEST_CASE("certs: an incomplete certificate folder is an error, not silently replaced",
          "[machine][certs]") {
  testing::CliHarness dir;
  CertStore certs(dir.root() + "/certs");
  certs.ensure();
  std::filesystem::remove(certs.path(kClientKey));
  CHECK_THROWS_AS(certs.ensure(), InvalidArgument);
  CHECK_THROWS_WITH(certs.ensure(), Catch::Matchers::Contains("regenerate-certs --client-certs"));
}
