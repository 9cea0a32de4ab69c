#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "machine/ssh_key.hpp"
#include "machine/store.hpp"
#include "unit/cli_test_support.hpp"

using namespace berth;
using namespace berth::machine;

namespace {

MachineRecord sample_record(const std::string& name) {
  MachineRecord record;
  record.name = name;
  record.driver_name = "libvirt";
  record.driver_state = Json{{"name", name}, {"mac", "52:54:00:aa:bb:cc"}};
  record.engine.labels = {"env=dev"};
  record.engine.insecure_registries = {"127.0.0.1:5000"};
  record.engine.registry_mirrors = {"http://127.0.0.1:5001"};
  record.engine.env = {"HTTP_PROXY=http://127.0.0.1:3128"};
  record.engine.opts = {"debug=true"};
  record.tls_sans = {"dev.example.test", "10.1.2.3"};
  record.ssh_host_key = "ssh-ed25519 AAAAC3Nza";
  record.created = "2026-11-28T09:00:00Z";
  record.ip = "192.168.151.10";
  record.os_name = "Berth Linux";
  record.engine_version = "v0.1.0";
  return record;
}

}  // namespace

TEST_CASE("store: a saved machine record reads back field for field", "[machine][store]") {
  testing::CliHarness dir;
  Store store(dir.root());
  auto record = sample_record("dev");
  store.save(record);

  auto loaded = store.load("dev");
  CHECK(loaded.name == "dev");
  CHECK(loaded.driver_name == "libvirt");
  CHECK(loaded.driver_state == record.driver_state);
  CHECK(loaded.engine.labels == record.engine.labels);
  CHECK(loaded.engine.insecure_registries == record.engine.insecure_registries);
  CHECK(loaded.engine.registry_mirrors == record.engine.registry_mirrors);
  CHECK(loaded.engine.env == record.engine.env);
  CHECK(loaded.engine.opts == record.engine.opts);
  CHECK(loaded.tls_sans == record.tls_sans);
  CHECK(loaded.ssh_host_key == record.ssh_host_key);
  CHECK(loaded.created == record.created);
  CHECK(loaded.ip == record.ip);
  CHECK(loaded.engine_version == "v0.1.0");
  CHECK(store.list() == std::vector<std::string>{"dev"});
}

TEST_CASE("store: config.json is private to the user", "[machine][store]") {
  testing::CliHarness dir;
  Store store(dir.root());
  store.save(sample_record("dev"));
  struct stat st {};
  REQUIRE(::stat(store.config_path("dev").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(store.config_path("dev") == dir.root() + "/machines/dev/config.json");
}

TEST_CASE("store: an unknown machine is NotFound with a hint", "[machine][store]") {
  testing::CliHarness dir;
  Store store(dir.root());
  CHECK_THROWS_AS(store.load("nope"), NotFound);
  CHECK_THROWS_WITH(store.load("nope"),
                    Catch::Matchers::Contains("machine \"nope\" does not exist"));
}

TEST_CASE("store: a corrupt config.json names the file and spares other machines",
          "[machine][store]") {
  testing::CliHarness dir;
  Store store(dir.root());
  store.save(sample_record("good"));
  store.save(sample_record("bad"));
  write_file_atomic(store.config_path("bad"), "{\"name\": \"bad\", trunc", 0600);

  CHECK_THROWS_AS(store.load("bad"), Error);
  CHECK_THROWS_WITH(store.load("bad"), Catch::Matchers::Contains(store.config_path("bad")) &&
                                           Catch::Matchers::Contains("corrupt"));
  CHECK(store.load("good").name == "good");

  auto all = store.load_all();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "bad");
  CHECK_FALSE(all[0].record.has_value());
  CHECK_THAT(all[0].error, Catch::Matchers::Contains(store.config_path("bad")));
  CHECK(all[1].record.has_value());
}

TEST_CASE("store: a config.json missing its driver is reported as corrupt", "[machine][store]") {
  testing::CliHarness dir;
  Store store(dir.root());
  store.save(sample_record("dev"));
  write_file_atomic(store.config_path("dev"), R"({"name":"dev","driver_state":{}})", 0600);
  CHECK_THROWS_AS(store.load("dev"), Error);
  CHECK_THROWS_WITH(store.load("dev"), Catch::Matchers::Contains("no \"driver\""));
}

TEST_CASE("store: creating over an existing machine is a Conflict", "[machine][store]") {
  testing::CliHarness dir;
  Store store(dir.root());
  store.save(sample_record("dev"));
  CHECK_THROWS_AS(store.create_machine_dir("dev"), Conflict);
  CHECK_THROWS_AS(store.create_machine_dir("../etc"), InvalidArgument);
}

TEST_CASE("store: root comes from the flag, then BERTH_STORAGE_PATH, then HOME",
          "[machine][store]") {
  CHECK(resolve_storage_path(std::string("/x/y")) == "/x/y");
  ::setenv("BERTH_STORAGE_PATH", "/from/env", 1);
  CHECK(resolve_storage_path(std::nullopt) == "/from/env");
  ::unsetenv("BERTH_STORAGE_PATH");
  const char* home = std::getenv("HOME");
  std::string saved = home ? home : "";
  ::setenv("HOME", "/home/someone", 1);
  CHECK(resolve_storage_path(std::nullopt) == "/home/someone/.berth");
  if (home) ::setenv("HOME", saved.c_str(), 1);
}

TEST_CASE("ssh key: an ed25519 pair is created once and then reused", "[machine][ssh_key]") {
  testing::CliHarness dir;
  auto path = dir.root() + "/id_ed25519";
  auto first = ensure_ssh_key(path, "berth-machine-dev");
  CHECK_THAT(first.public_key, Catch::Matchers::StartsWith("ssh-ed25519 AAAA"));
  CHECK_THAT(first.public_key, Catch::Matchers::EndsWith("berth-machine-dev"));
  CHECK_THAT(read_file(path), Catch::Matchers::Contains("BEGIN OPENSSH PRIVATE KEY"));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto second = ensure_ssh_key(path, "berth-machine-dev");
  CHECK(second.public_key == first.public_key);
}
