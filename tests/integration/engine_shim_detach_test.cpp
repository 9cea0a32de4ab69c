// berth-shim attach sessions on a terminal, as dockerd's: the end of a client's input (docker
// detaching closes its connection) or the detach keys end the session but leave the process's
// stdin open for the next attach, even with StdinOnce.
#include <catch2/catch.hpp>
#include <string>

#include "engine/containers/shim_client.hpp"
#include "engine_shim_support.hpp"

using namespace berth;
using namespace berth::engine;
using namespace berth::engine::shimtest;
using namespace std::chrono_literals;

namespace {

// Reads the attach stream until `needle` shows up; returns what was read (fails on end or 10 s).
std::string read_until(Stream& stream, const std::string& needle) {
  stream.set_io_timeout(10s);
  std::string seen;
  char buf[4096];
  while (seen.find(needle) == std::string::npos) {
    const size_t n = stream.read_some(buf, sizeof buf);
    if (n == 0) break;
    seen.append(buf, n);
  }
  CHECK(seen.find(needle) != std::string::npos);
  return seen;
}

bool still_running(ShimClient& shim) {
  return !shim.wait(200ms).has_value();
}

}  // namespace

TEST_CASE("shim: a TTY client's end of input keeps StdinOnce stdin open", "[runtime][shim]") {
  ShimEnv env;
  auto c = env.make("detach",
                    {{"Cmd", {"sh"}}, {"Tty", true}, {"OpenStdin", true}, {"StdinOnce", true}});
  ShimClient shim = ShimClient::launch(c.launch);
  auto first = shim.attach(true, true, true);
  shim.start();
  first->write_all("echo one-$((6*7))\n");
  read_until(*first, "one-42");
  first->shutdown_write();  // what berthd passes on when docker detaches: the session ends
  read_to_end(*first);
  CHECK(still_running(shim));

  auto second = shim.attach(true, true, true);
  second->write_all("echo two-$((6*7))\n");
  read_until(*second, "two-42");
  second.reset();  // a client that simply goes away
  CHECK(still_running(shim));

  auto third = shim.attach(true, true, true);
  third->write_all("exit 3\n");
  read_to_end(*third);
  CHECK(must_wait(shim).exit_code == 3);
}

TEST_CASE("shim: detach keys end a TTY session and never reach the process", "[runtime][shim]") {
  ShimEnv env;
  auto c =
      env.make("keys", {{"Cmd", {"sh"}}, {"Tty", true}, {"OpenStdin", true}, {"StdinOnce", true}});
  ShimClient shim = ShimClient::launch(c.launch);
  auto first = shim.attach(true, true, true, detach_key_bytes("ctrl-x,x"));
  shim.start();
  // "x" alone and ctrl-x followed by something else are input; only the whole sequence detaches.
  first->write_all("echo a-x-\x18y-$((6*7))\n");
  const std::string echoed = read_until(*first, "-42");
  CHECK(echoed.find("a-x-") != std::string::npos);
  first->write_all("echo held\x18");
  first->write_all("x");  // the sequence split over two reads still detaches
  read_to_end(*first);
  CHECK(still_running(shim));

  // The shell got "echo held" but no newline: a later client's Enter runs it.
  auto second = shim.attach(true, true, true, kDefaultDetachKeys);
  second->write_all("\n");
  read_until(*second, "\nheld");
  second->write_all("exit 4\n");
  read_to_end(*second);
  CHECK(must_wait(shim).exit_code == 4);
}
