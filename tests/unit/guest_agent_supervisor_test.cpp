// berth-agent's berthd supervision, with shell scripts standing in for berthd and an in-process
// HTTP server standing in for its API socket.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/http_server.hpp"
#include "common/json.hpp"
#include "guest-agent/engine_probe.hpp"
#include "guest-agent/engine_supervisor.hpp"
#include "http_test_support.hpp"

using namespace berth;
using namespace berth::agent;
using namespace std::chrono_literals;

namespace {

std::string script(const test::TempDir& dir, const std::string& name, const std::string& body) {
  const std::string path = dir.file(name);
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

SupervisorOptions fast_options(const test::TempDir& dir, const std::string& binary) {
  SupervisorOptions o;
  o.binaries = {binary};
  o.config_file = dir.file("daemon.json");
  o.env_file = dir.file("engine.env");
  o.log_file = dir.file("berthd.log");
  o.socket_override = dir.file("berth.sock");
  o.initial_backoff = 100ms;
  o.max_backoff = 400ms;
  o.healthy_after = 10s;
  o.stop_timeout = 1s;
  o.ready_poll = 20ms;
  return o;
}

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return predicate();
}

std::vector<double> read_numbers(const std::string& path) {
  std::ifstream in(path);
  std::vector<double> numbers;
  double n;
  while (in >> n) numbers.push_back(n);
  return numbers;
}

}  // namespace

TEST_CASE("the supervisor starts, stops and restarts berthd", "[guest_agent]") {
  test::TempDir dir;
  EngineSupervisor supervisor(fast_options(dir, script(dir, "berthd", "exec sleep 30")));
  supervisor.start();
  REQUIRE(eventually([&] { return supervisor.status().running; }));
  const int first = supervisor.status().pid;
  CHECK(first > 0);
  CHECK_FALSE(supervisor.status().ready);  // nothing answers on the socket

  supervisor.stop();
  EngineStatus stopped = supervisor.status();
  CHECK_FALSE(stopped.running);
  CHECK(stopped.last_exit == "killed by signal 15 (Terminated)");
  CHECK(stopped.restarts == 0);  // a requested stop is not a crash
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(supervisor.status().running);  // and it stays stopped

  const int second = supervisor.restart();
  CHECK(second > 0);
  CHECK(second != first);
  CHECK(supervisor.status().running);
  const int third = supervisor.restart();  // restart of a running engine replaces it
  CHECK(third != second);
  CHECK(supervisor.status().pid == third);
}

TEST_CASE("a crashing berthd is restarted with growing backoff", "[guest_agent]") {
  test::TempDir dir;
  const std::string starts = dir.file("starts");
  const std::string binary =
      script(dir, "berthd", "date +%s.%N >> " + starts + "\necho boom >&2\nexit 3");
  EngineSupervisor supervisor(fast_options(dir, binary));
  supervisor.start();
  REQUIRE(eventually([&] { return read_numbers(starts).size() >= 6; }, 20s));
  // Taken before stop(): a stop that lands while the script runs would record SIGTERM instead.
  const EngineStatus s = supervisor.status();
  supervisor.stop();
  const auto times = read_numbers(starts);
  // Waits of 100, 200, 400, 400, 400 ms: no gap can be shorter than its backoff (a loaded machine
  // only makes them longer, so only lower bounds are checked on the clock).
  CHECK(times[1] - times[0] >= 0.09);
  CHECK(times[2] - times[1] >= 0.19);
  CHECK(times[3] - times[2] >= 0.39);
  CHECK(times[4] - times[3] >= 0.39);
  CHECK(s.restarts >= 5);
  CHECK(s.last_restart_delay_ms == 400);  // capped at max_backoff, not 1600
  CHECK(s.last_exit == "exit status 3");
  std::ifstream log(dir.file("berthd.log"));
  std::stringstream text;
  text << log.rdbuf();
  CHECK(text.str().find("boom") != std::string::npos);
}

TEST_CASE("a berthd that ignores SIGTERM is killed after the stop timeout", "[guest_agent]") {
  test::TempDir dir;
  const std::string trapped = dir.file("trapped");
  EngineSupervisor supervisor(fast_options(
      dir, script(dir, "berthd", "trap '' TERM\ntouch " + trapped + "\nexec sleep 30")));
  supervisor.start();
  // Only once the trap is set: a SIGTERM before it would simply end the script.
  REQUIRE(eventually([&] { return std::filesystem::exists(trapped); }));
  const auto began = std::chrono::steady_clock::now();
  supervisor.stop();
  CHECK(std::chrono::steady_clock::now() - began >= 900ms);
  CHECK(supervisor.status().last_exit == "killed by signal 9 (Killed)");
}

TEST_CASE("the supervisor reports readiness when the socket answers /_ping", "[guest_agent]") {
  test::TempDir dir;
  EngineSupervisor supervisor(fast_options(dir, script(dir, "berthd", "exec sleep 30")));
  supervisor.start();
  REQUIRE(eventually([&] { return supervisor.status().running; }));
  CHECK_FALSE(supervisor.status().ready);

  http::Router router;
  router.add("GET", "/_ping",
             [](http::Request&, http::Response& res) { res.send(200, "OK", "text/plain"); });
  router.add("GET", "/version", [](http::Request&, http::Response& res) {
    res.send_json(200, Json{{"Version", "7.7.7"}, {"ApiVersion", "1.50"}});
  });
  http::Server server(std::move(router));
  server.listen({Endpoint::parse("unix://" + dir.file("berth.sock"))});
  // The live probe may see it first; the supervisor's own watch records when it became ready.
  REQUIRE(eventually([&] { return supervisor.status().ready_after_seconds.has_value(); }));
  const EngineStatus s = supervisor.status();
  CHECK(s.ready);
  CHECK(s.version == "7.7.7");
  CHECK(s.api_version == "1.50");
  REQUIRE(s.ready_after_seconds.has_value());
  CHECK(*s.ready_after_seconds > 0);
  server.stop(1s);
}

TEST_CASE("berthd gets the config provisioning wrote, else a unix socket default",
          "[guest_agent]") {
  test::TempDir dir;
  SupervisorOptions options = fast_options(dir, "/bin/true");
  EngineSupervisor supervisor(options);
  CHECK(supervisor.command_line() ==
        std::vector<std::string>{"/bin/true", "-H", "unix:///run/berth/berth.sock"});
  std::ofstream(options.config_file) << R"({"hosts":["tcp://0.0.0.0:2376","unix:///run/x.sock"]})";
  CHECK(supervisor.command_line() ==
        std::vector<std::string>{"/bin/true", "--config-file", options.config_file});

  CHECK(engine_socket_for_config(options.config_file) == "/run/x.sock");
  std::ofstream(options.config_file) << R"({"hosts":["tcp://0.0.0.0:2376"]})";
  CHECK(engine_socket_for_config(options.config_file).empty());
  std::ofstream(options.config_file) << R"({"exec-root":"/run/other"})";
  CHECK(engine_socket_for_config(options.config_file) == "/run/other/berth.sock");
  CHECK(engine_socket_for_config(dir.file("missing.json")) == "/run/berth/berth.sock");
}

TEST_CASE("berthd runs with the variables of engine.env", "[guest_agent]") {
  test::TempDir dir;
  SupervisorOptions options = fast_options(
      dir, script(dir, "berthd",
                  "echo \"$HTTP_PROXY|$NO_PROXY\" > " + dir.file("seen") + "; exec sleep 30"));
  std::ofstream(options.env_file) << "# from berth machine create --engine-env\n"
                                  << "HTTP_PROXY=http://127.0.0.1:3128\n\nNO_PROXY=a=b,c\n";
  EngineSupervisor supervisor(options);
  supervisor.start();
  REQUIRE(eventually([&] { return std::filesystem::exists(dir.file("seen")); }));
  std::this_thread::sleep_for(50ms);
  std::ifstream in(dir.file("seen"));
  std::string seen;
  std::getline(in, seen);
  CHECK(seen == "http://127.0.0.1:3128|a=b,c");
}

TEST_CASE("a berthd stopped from outside that exits cleanly is started again and not counted",
          "[guest_agent]") {
  test::TempDir dir;
  // Like berthd: SIGTERM means a clean shutdown, exit status 0.
  EngineSupervisor supervisor(fast_options(
      dir, script(dir, "berthd", "sleep 30 & child=$!; trap 'kill $child; exit 0' TERM; wait")));
  supervisor.start();
  REQUIRE(eventually([&] { return supervisor.status().running; }));
  const int first = supervisor.status().pid;
  std::this_thread::sleep_for(1100ms);  // a clean exit right after start is treated as a crash
  ::kill(first, SIGTERM);               // what provisioning over SSH does to restart the engine
  REQUIRE(eventually([&] {
    auto s = supervisor.status();
    return s.running && s.pid != first;
  }));
  CHECK(supervisor.status().restarts == 0);
  CHECK(supervisor.status().last_exit == "exit status 0");
}
