// The cgroup attach warmer re-attaches berthd to its own cgroups while a container starts. What
// must hold for a user: berthd (and so every shim it starts) stays exactly where it was, and the
// warmer stops as soon as it is told, never holding up the start that made it.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/containers/cgroup_attach_warmer.hpp"

using namespace std::chrono_literals;

namespace {
std::string own_cgroups() {
  std::ifstream in("/proc/self/cgroup");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

TEST_CASE("the cgroup attach warmer leaves the process in its cgroups and stops when told",
          "[engine][runtime]") {
  const std::string before = own_cgroups();
  REQUIRE_FALSE(before.empty());
  const auto t0 = std::chrono::steady_clock::now();
  {
    const berth::engine::CgroupAttachWarmer warmer;
    std::this_thread::sleep_for(30ms);  // several re-attaches
    CHECK(own_cgroups() == before);
  }
  // It runs for at most 2 s on its own; told to stop, it stops within one interval.
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  CHECK(own_cgroups() == before);
}
