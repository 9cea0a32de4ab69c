// The libssh SshSession against a real dropbear. Hidden from the unit run (it needs a server):
// tests/integration/machine_ssh_libssh.sh starts dropbear on 127.0.0.1 inside a network namespace
// of its own and runs `berth_unit_tests "[.machine_ssh_integration]"` there with these variables:
//   BERTH_SSH_IT_PORT     dropbear's port on 127.0.0.1
//   BERTH_SSH_IT_KEY      a private key root accepts
//   BERTH_SSH_IT_BADKEY   a private key nobody accepts
//   BERTH_SSH_IT_HOSTKEY  dropbear's host key, "ssh-ed25519 AAAA…"
//   BERTH_SSH_IT_DIR      a scratch directory the server may write
//   BERTH_SSH_IT_SFTP     set when the server has an sftp-server (dropbear: /usr/lib/sftp-server)
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "machine/libssh_session.hpp"

using namespace berth;
using namespace berth::machine;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value) FAIL(std::string(name) + " is not set: run tests/integration/machine_ssh_libssh.sh");
  return value;
}

SshTarget target() {
  SshTarget t;
  t.host = "127.0.0.1";
  t.port = std::stoi(env("BERTH_SSH_IT_PORT"));
  t.private_key_path = env("BERTH_SSH_IT_KEY");
  return t;
}

SshDeadline in(std::chrono::milliseconds d) {
  return SshClock::now() + d;
}
constexpr auto kSoon = std::chrono::seconds(20);

std::unique_ptr<SshSession> connected(LibsshOptions options = {}) {
  auto s = make_libssh_session(options);
  s->connect(target(), in(kSoon));
  return s;
}

}  // namespace

TEST_CASE("libssh: connect returns the server's host key and a recorded one is checked",
          "[.machine_ssh_integration]") {
  auto s = make_libssh_session();
  CHECK(s->connect(target(), in(kSoon)) == env("BERTH_SSH_IT_HOSTKEY"));

  auto t = target();
  t.known_host_key = env("BERTH_SSH_IT_HOSTKEY");
  CHECK_NOTHROW(make_libssh_session()->connect(t, in(kSoon)));

  t.known_host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherMachine";
  try {
    make_libssh_session()->connect(t, in(kSoon));
    FAIL("a changed host key was accepted");
  } catch (const HostKeyChanged& e) {
    CHECK_THAT(e.what(), Catch::Contains("has changed"));
    CHECK_THAT(e.what(), Catch::Contains(env("BERTH_SSH_IT_HOSTKEY")));
  }
}

TEST_CASE("libssh: a key the server does not accept, and a port nobody listens on",
          "[.machine_ssh_integration]") {
  auto t = target();
  t.private_key_path = env("BERTH_SSH_IT_BADKEY");
  try {
    make_libssh_session()->connect(t, in(kSoon));
    FAIL("an unknown key was accepted");
  } catch (const SshError& e) {
    CHECK_THAT(e.what(), Catch::Contains("refused the key " + t.private_key_path));
  }
  t = target();
  t.port = 1;  // privileged and unused inside the test's namespace
  CHECK_THROWS_AS(make_libssh_session()->connect(t, in(kSoon)), SshError);
  t = target();
  t.private_key_path = "/nonexistent/key";
  CHECK_THROWS_WITH(make_libssh_session()->connect(t, in(kSoon)),
                    Catch::Contains("cannot read the SSH private key /nonexistent/key"));
}

TEST_CASE("libssh: run captures stdout, stderr, exit status and feeds stdin",
          "[.machine_ssh_integration]") {
  auto s = connected();
  auto r = s->run("echo out; echo err >&2; exit 3", {}, in(kSoon));
  CHECK(r.stdout_data == "out\n");
  CHECK(r.stderr_data == "err\n");
  CHECK(r.exit_status == 3);

  r = s->run("tr a-z A-Z", "hello over ssh\n", in(kSoon));
  CHECK(r.stdout_data == "HELLO OVER SSH\n");
  CHECK(r.exit_status == 0);

  r = s->run("head -c 3000000 /dev/zero | tr '\\0' x; echo done >&2", {}, in(kSoon));
  CHECK(r.stdout_data.size() == 3000000);
  CHECK(r.stderr_data == "done\n");
}

TEST_CASE("libssh: run stops at its deadline", "[.machine_ssh_integration]") {
  auto s = connected();
  const auto began = SshClock::now();
  CHECK_THROWS_AS(s->run("sleep 30", {}, in(std::chrono::milliseconds(700))), Timeout);
  CHECK(SshClock::now() - began < std::chrono::seconds(5));
}

TEST_CASE("libssh: upload and download, over SFTP or its exec fallback",
          "[.machine_ssh_integration]") {
  // SFTP only where the server has an sftp-server: against one without, libssh 0.10's sftp_init
  // can wait forever, which is why LibsshOptions leaves SFTP off by default.
  const bool sftp = std::getenv("BERTH_SSH_IT_SFTP") ? GENERATE(true, false) : false;
  INFO("use_sftp " << sftp);
  const std::filesystem::path dir = env("BERTH_SSH_IT_DIR");
  auto s = connected(LibsshOptions{.use_sftp = sftp});
  std::string data(2'500'000, '\0');
  std::mt19937 random(42);
  for (auto& c : data) c = static_cast<char>(random());
  const std::string path = (dir / (sftp ? "blob-sftp" : "blob-exec")).string();

  s->upload(data, path, 0750, in(kSoon));
  CHECK(std::filesystem::file_size(path) == data.size());
  CHECK(s->run("stat -c %a " + path, {}, in(kSoon)).stdout_data == "750\n");
  CHECK(s->download(path, in(kSoon)) == data);

  // Replacing a file keeps no temp file behind and takes the new mode.
  s->upload("small", path, 0600, in(kSoon));
  CHECK(s->download(path, in(kSoon)) == "small");
  CHECK(s->run("stat -c %a " + path, {}, in(kSoon)).stdout_data == "600\n");
  CHECK_FALSE(std::filesystem::exists(path + ".berth-upload"));

  // A running program can be replaced (rename, not rewrite: no "Text file busy").
  const std::string prog = (dir / (sftp ? "prog-sftp" : "prog-exec")).string();
  s->upload("#!/bin/sh\nsleep 5\n", prog, 0755, in(kSoon));
  s->run("(" + prog + " >/dev/null 2>&1 &)", {}, in(kSoon));
  CHECK_NOTHROW(s->upload("#!/bin/sh\necho new\n", prog, 0755, in(kSoon)));
  CHECK(s->run(prog, {}, in(kSoon)).stdout_data == "new\n");

  CHECK_THROWS_WITH(s->upload("x", (dir / "no" / "such" / "dir" / "f").string(), 0644, in(kSoon)),
                    Catch::Contains((dir / "no" / "such" / "dir" / "f").string()));
  CHECK_THROWS_WITH(s->download((dir / "missing").string(), in(kSoon)),
                    Catch::Contains((dir / "missing").string()));
}
