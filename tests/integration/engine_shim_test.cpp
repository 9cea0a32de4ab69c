// berth-shim with the real runc (root), driven through ShimClient exactly as berthd drives it:
// attach before start, framing, TTY, stdin, logs, exit codes, exec, surviving the launcher.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/subprocess.hpp"
#include "engine/containers/runtime.hpp"
#include "engine/containers/shim_client.hpp"
#include "engine_shim_support.hpp"

using namespace berth;
using namespace berth::engine;
using namespace berth::engine::shimtest;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("shim: attached output is stdcopy-framed and logged and exit 0", "[runtime]") {
  ShimEnv env;
  auto c = env.make("echo", {{"Cmd", {"echo", "hello"}}});
  ShimClient shim = ShimClient::launch(c.launch);
  CHECK(shim.pid() > 0);
  CHECK_THROWS_AS(shim.resize(24, 80), Error);  // no terminal without Tty

  auto stream = shim.attach(false, true, true);
  shim.start();
  const std::string raw = read_to_end(*stream);
  CHECK(raw.substr(0, 8) == std::string("\x01\0\0\0\0\0\0\x06", 8));
  auto output = demux(raw);
  CHECK(output.out == "hello\n");
  CHECK(output.err.empty());

  ShimExit exit = must_wait(shim);
  CHECK(exit.exit_code == 0);
  CHECK(exit.error.empty());
  CHECK_FALSE(exit.finished_at.empty());
  auto recorded = ShimClient::read_exit(c.state_dir);
  REQUIRE(recorded);
  CHECK(recorded->exit_code == 0);

  auto log = log_lines(c.log_path);
  REQUIRE(log.size() == 1);
  CHECK(log[0].stream == "stdout");
  CHECK(log[0].text == "hello\n");
  // The shim removes the runtime's container and then itself.
  auto runtime = env.runtime();
  CHECK(eventually([&] { return !runtime.state_json(c.id).has_value(); }));
  CHECK(eventually([&] { return !ShimClient::reconnect(c.state_dir).has_value(); }));
}

TEST_CASE("shim: stderr, the engine's files and a non-zero exit", "[runtime]") {
  ShimEnv env;
  auto c = env.make("fail", {{"Cmd", {"sh", "-c", "cat /etc/hostname; echo to-err >&2; exit 3"}}});
  ShimClient shim = ShimClient::launch(c.launch);
  auto stream = shim.attach(false, true, true);
  shim.start();
  auto output = demux(read_to_end(*stream));
  CHECK(output.out == "shimtest\n");
  CHECK(output.err == "to-err\n");
  CHECK(must_wait(shim).exit_code == 3);
  auto log = log_lines(c.log_path);
  REQUIRE(log.size() == 2);
  CHECK(log[1].stream == "stderr");
}

TEST_CASE("shim: stdin written before start reaches the process and half-close ends it",
          "[runtime]") {
  ShimEnv env;
  auto c = env.make("cat", {{"Cmd", {"cat"}}, {"OpenStdin", true}, {"StdinOnce", true}});
  ShimClient shim = ShimClient::launch(c.launch);
  auto stream = shim.attach(true, true, true);
  stream->write_all("line1\n");
  shim.start();
  stream->write_all("line2\n");
  stream->shutdown_write();
  auto output = demux(read_to_end(*stream));
  CHECK(output.out == "line1\nline2\n");
  CHECK(must_wait(shim).exit_code == 0);
}

TEST_CASE("shim: a TTY's output is raw and resize sets its size", "[runtime]") {
  ShimEnv env;
  auto c = env.make("tty", {{"Cmd", {"sh", "-c", "stty size; echo tty-done"}}, {"Tty", true}});
  ShimClient shim = ShimClient::launch(c.launch);
  shim.resize(30, 100);
  auto stream = shim.attach(false, true, true);
  shim.start();
  const std::string raw = read_to_end(*stream);
  CHECK(raw == "30 100\r\ntty-done\r\n");
  CHECK(must_wait(shim).exit_code == 0);
  auto log = log_lines(c.log_path);
  REQUIRE(log.size() == 2);
  CHECK(log[0].stream == "stdout");
  CHECK(log[0].text == "30 100\r\n");
}

TEST_CASE("shim: runtime commands on a running container and SIGKILL exits 137", "[runtime]") {
  ShimEnv env;
  auto c = env.make("sleeper", {{"Cmd", {"sh", "-c", "echo early; exec sleep 1000"}}});
  ShimClient shim = ShimClient::launch(c.launch);
  shim.start();  // nobody attached: the output still goes to the log
  CHECK(eventually([&] {
    auto log = log_lines(c.log_path);
    return log.size() == 1 && log[0].text == "early\n";
  }));

  Runtime runtime = env.runtime();
  auto state = json::parse(runtime.state_json(c.id).value());
  CHECK(state["status"] == "running");
  CHECK(state["pid"] == shim.pid());
  auto pids = runtime.pids(c.id);
  CHECK(std::find(pids.begin(), pids.end(), shim.pid()) != pids.end());
  runtime.pause(c.id);
  CHECK(json::parse(runtime.state_json(c.id).value())["status"] == "paused");
  runtime.resume(c.id);
  runtime.update(c.id, R"({"pids":{"limit":100}})");
  CHECK_FALSE(shim.wait(200ms).has_value());  // still running: the wait times out

  const int shim_pid = ShimEnv::shim_pid(c.state_dir);
  REQUIRE(shim_pid > 0);
  // Waiters that give up and attach clients that detach must not pile up in the shim.
  auto open_fds = [&] {
    return std::distance(fs::directory_iterator("/proc/" + std::to_string(shim_pid) + "/fd"),
                         fs::directory_iterator());
  };
  const auto fds_before = open_fds();
  for (int i = 0; i < 20; ++i) {
    CHECK_FALSE(shim.wait(10ms).has_value());
    shim.attach(true, true, true).reset();
  }
  // (<=: the earlier timed-out wait may still have been open when counting.)
  CHECK(eventually([&] { return open_fds() <= fds_before; }, 3s));
  auto ps = run_capture({"ps", "-o", "rss=", "-p", std::to_string(shim_pid)}, {}, 10s);
  std::string rollup = read_file("/proc/" + std::to_string(shim_pid) + "/smaps_rollup");
  WARN("berth-shim memory: ps rss " << ps.stdout_data << rollup);

  runtime.kill(c.id, SIGKILL);
  ShimExit exit = must_wait(shim);
  CHECK(exit.exit_code == 137);
  CHECK_FALSE(exit.oom_killed);
  CHECK(eventually([&] { return !runtime.state_json(c.id).has_value(); }));
  CHECK_THROWS_AS(runtime.kill(c.id, SIGKILL), NotFound);
}

TEST_CASE("shim: a client that stops reading is dropped and the log and other clients get all",
          "[runtime]") {
  ShimEnv env;
  auto c = env.make("flood", {{"Cmd", {"seq", "1", "300000"}}});  // about 2 MB of output
  // The shim inherits the variable: drop a stuck client after 1 s instead of 30 s.
  ::setenv("BERTH_SHIM_STALL_TIMEOUT_MS", "1000", 1);
  ShimClient shim = ShimClient::launch(c.launch);
  ::unsetenv("BERTH_SHIM_STALL_TIMEOUT_MS");
  auto stuck = shim.attach(false, true, true);
  auto good = shim.attach(false, true, true);
  std::string good_raw;
  std::thread reader([&] {
    try {
      good_raw = read_to_end(*good);
    } catch (const std::exception&) {
    }
  });
  shim.start();
  auto exit = shim.wait(30000ms);
  reader.join();
  REQUIRE(exit.has_value());
  CHECK(exit->exit_code == 0);

  const std::string out = demux(good_raw).out;
  CHECK(std::count(out.begin(), out.end(), '\n') == 300000);
  CHECK(out.ends_with("\n299999\n300000\n"));
  CHECK(log_lines(c.log_path).size() == 300000);
  // The stuck client got a prefix of the output and then end of stream, not a hang.
  const std::string stuck_raw = read_to_end(*stuck);
  CHECK(stuck_raw.size() < good_raw.size());
}

TEST_CASE("shim: an OOM kill is reported", "[runtime]") {
  ShimEnv env;
  auto c = env.make(
      "oom", {{"Cmd", {"sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' x); echo no"}}},
      {{"Memory", 16 * 1024 * 1024}, {"MemorySwap", 16 * 1024 * 1024}});
  ShimClient shim = ShimClient::launch(c.launch);
  shim.start();
  ShimExit exit = must_wait(shim);
  CHECK(exit.exit_code == 137);
  CHECK(exit.oom_killed);
}

TEST_CASE("shim: survives the process that launched it and reconnect", "[runtime]") {
  ShimEnv env;
  auto c = env.make("orphan", {{"Cmd", {"sh", "-c", "echo survived"}}});
  int report[2];
  REQUIRE(::pipe(report) == 0);
  UniqueFd report_r(report[0]), report_w(report[1]);
  const pid_t launcher = ::fork();
  REQUIRE(launcher >= 0);
  if (launcher == 0) {
    // The "berthd" that starts the shim and then dies.
    char ok = 'n';
    try {
      ShimClient::launch(c.launch);
      ok = 'y';
    } catch (...) {
    }
    [[maybe_unused]] auto n = ::write(report_w.get(), &ok, 1);
    ::_exit(0);
  }
  report_w.reset();
  int status = 0;
  REQUIRE(::waitpid(launcher, &status, 0) == launcher);
  char ok = 'n';
  REQUIRE(::read(report_r.get(), &ok, 1) == 1);
  REQUIRE(ok == 'y');

  const int shim_pid = ShimEnv::shim_pid(c.state_dir);
  REQUIRE(shim_pid > 0);
  REQUIRE(::kill(shim_pid, 0) == 0);  // its launcher is gone, the shim is not

  auto again = ShimClient::reconnect(c.state_dir);
  REQUIRE(again.has_value());
  CHECK(again->pid() > 0);
  auto stream = again->attach(false, true, true);
  again->start();
  CHECK(demux(read_to_end(*stream)).out == "survived\n");
  CHECK(must_wait(*again).exit_code == 0);
  CHECK(eventually([&] { return ::kill(shim_pid, 0) != 0; }));
  CHECK_FALSE(ShimClient::reconnect(c.state_dir).has_value());
  REQUIRE(ShimClient::read_exit(c.state_dir).has_value());
  CHECK(ShimClient::read_exit(c.state_dir)->exit_code == 0);
}

TEST_CASE("shim: exec into a running container", "[runtime]") {
  ShimEnv env;
  auto c = env.make("execbox", {{"Cmd", {"sleep", "1000"}}});
  ShimClient shim = ShimClient::launch(c.launch);
  shim.start();
  // Deep state dirs like berthd's (<container>/exec/<exec id>/shim) exceed a unix socket path.
  const std::string deep =
      env.dir() + "/execbox/" + std::string(64, 'e') + "/" + std::string(64, 'f');

  SECTION("plain exec, through a state dir too deep for a socket path") {
    ShimClient exec =
        ShimClient::launch(env.exec_launch(c, deep + "/shim", {{"Cmd", {"echo", "hi from exec"}}}));
    CHECK(exec.pid() == 0);  // an exec runs at start, once stdio is wired
    auto stream = exec.attach(false, true, true);
    exec.start();
    CHECK(exec.pid() > 0);
    CHECK(demux(read_to_end(*stream)).out == "hi from exec\n");
    CHECK(must_wait(exec).exit_code == 0);
  }
  SECTION("TTY exec with stdin") {
    ShimClient exec =
        ShimClient::launch(env.exec_launch(c, deep + "/shim",
                                           {{"Cmd", {"sh", "-c", "read line; echo got $line"}},
                                            {"Tty", true},
                                            {"AttachStdin", true}}));
    auto stream = exec.attach(true, true, true);
    exec.start();
    stream->write_all("abc\n");
    const std::string raw = read_to_end(*stream);
    CHECK(raw.find("got abc\r\n") != std::string::npos);
    CHECK(must_wait(exec).exit_code == 0);
  }
  SECTION("an exec that cannot run fails at start with exit code 126") {
    ShimClient exec = ShimClient::launch(
        env.exec_launch(c, env.dir() + "/execbox/bad/shim", {{"Cmd", {"nosuchcmd-exec"}}}));
    CHECK_THROWS_WITH(exec.start(), Catch::Contains("nosuchcmd-exec"));
    ShimExit exit = must_wait(exec);
    CHECK(exit.exit_code == 126);
    CHECK_THAT(exit.error, Catch::Contains("nosuchcmd-exec"));
  }

  env.runtime().kill(c.id, SIGKILL);
  CHECK(must_wait(shim).exit_code == 137);
}

TEST_CASE("shim: a failing create throws the runtime's message", "[runtime]") {
  ShimEnv env;
  auto c = env.make("missing", {{"Cmd", {"nosuchcommand-xyz"}}});
  CHECK_THROWS_WITH(ShimClient::launch(c.launch), Catch::Contains("nosuchcommand-xyz"));
  CHECK_FALSE(env.runtime().state_json(c.id).has_value());
  CHECK_FALSE(ShimClient::reconnect(c.state_dir).has_value());
}

TEST_CASE("runtime detection on this host", "[runtime]") {
  const CgroupInfo cgroups = detect_cgroups();
  const auto runtimes = detect_runtimes();
  bool saw_runc = false;
  for (const auto& r : runtimes) {
    INFO(r.name << " " << r.path << " " << r.version << " usable=" << r.usable << " " << r.reason);
    CHECK(r.path.front() == '/');
    if (r.name == "runc") {
      saw_runc = true;
      CHECK(r.usable);
      CHECK(r.version.starts_with("runc version"));
    }
    if (r.name == "crun" && cgroups.hybrid) {
      CHECK_FALSE(r.usable);
      CHECK_THAT(r.reason, Catch::Contains("hybrid"));
    }
  }
  CHECK(saw_runc);
  CHECK(default_runtime(runtimes).usable);
  CHECK(default_runtime(runtimes, "runc").name == "runc");
  CHECK_THROWS_AS(default_runtime({}), Unavailable);
  std::string root = "/tmp/berth-runc-root-XXXXXX";
  REQUIRE(::mkdtemp(root.data()) != nullptr);
  Runtime runtime(default_runtime(runtimes, "runc"), root);
  CHECK_FALSE(runtime.state_json("berth-no-such-container").has_value());
  CHECK_THROWS_AS(runtime.kill("berth-no-such-container", SIGTERM), NotFound);
  fs::remove_all(root);
}
