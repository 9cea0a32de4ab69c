// `docker update`'s rules (engine/containers/update_resources): dockerd's checks and texts, the
// merge into the stored HostConfig, and the LinuxResources sent to the runtime.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "engine/containers/update_resources.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;

namespace {

const HostCpuset kTwoCpus{"0-1", "0"};

std::string refusal(const json& request) {
  try {
    verify_resources(request, kTwoCpus);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("h3 update: cpuset lists parse as the kernel writes them", "[update]") {
  CHECK(parse_cpuset_list("0-2,5") == std::set<int>{0, 1, 2, 5});
  CHECK(parse_cpuset_list("1") == std::set<int>{1});
  CHECK(parse_cpuset_list("").empty());
  CHECK_THROWS_AS(parse_cpuset_list("x"), InvalidArgument);
  CHECK_THROWS_AS(parse_cpuset_list("3-1"), InvalidArgument);
  CHECK_THROWS_AS(parse_cpuset_list("1,"), InvalidArgument);
}

TEST_CASE("h3 update: requests dockerd refuses, with its texts", "[update]") {
  CHECK(refusal({{"CpusetCpus", "5"}}) ==
        "Requested CPUs are not available - requested 5, available: 0-1");
  CHECK(refusal({{"CpusetCpus", "x"}}) == "Invalid value x for cpuset cpus: invalid format: x");
  CHECK(refusal({{"CpusetMems", "3"}}) ==
        "Requested memory nodes are not available - requested 3, available: 0");
  CHECK(refusal({{"Memory", 10 << 20}, {"MemorySwap", 5 << 20}}) ==
        "Minimum memoryswap limit should be larger than memory limit, see usage");
  CHECK(refusal({{"Memory", 4 << 20}}) == "Minimum memory limit allowed is 6MB");
  CHECK(refusal({{"Memory", 10 << 20}, {"MemorySwap", 20 << 20}, {"CpusetCpus", "1"}}).empty());
  CHECK(refusal({{"MemorySwap", -1}}).empty());
}

TEST_CASE("h3 update: merge keeps what the request leaves out", "[update]") {
  const json stored = {
      {"Memory", 10 << 20}, {"MemorySwap", 20 << 20}, {"CpusetCpus", "0"}, {"CpuShares", 512}};
  const json merged =
      merge_update(stored, {{"CpusetCpus", "1"}, {"Memory", 0}, {"CpusetMems", ""}}, "c1");
  CHECK(merged["CpusetCpus"] == "1");
  CHECK(merged["Memory"] == 10 << 20);
  CHECK(merged["CpuShares"] == 512);
  CHECK_FALSE(merged.contains("CpusetMems"));
}

TEST_CASE("h3 update: a memory limit above the stored swap needs a new swap", "[update]") {
  try {
    merge_update({{"Memory", 0}, {"MemorySwap", 0}}, {{"Memory", 10 << 20}}, "c1");
    FAIL("no conflict");
  } catch (const Conflict& e) {
    CHECK(std::string(e.what()) ==
          "Cannot update container c1: Memory limit should be smaller than already set memoryswap "
          "limit, update the memoryswap at the same time");
  }
  CHECK_NOTHROW(
      merge_update({{"MemorySwap", 0}}, {{"Memory", 10 << 20}, {"MemorySwap", 20 << 20}}, "c1"));
  CHECK_NOTHROW(
      merge_update({{"Memory", 10 << 20}, {"MemorySwap", 40 << 20}}, {{"Memory", 30 << 20}}, "c1"));
}

TEST_CASE("h3 update: the runtime gets memory with swap, and the cpuset", "[update]") {
  const json request = {{"Memory", 10 << 20}, {"MemorySwap", 20 << 20}};
  const json merged = merge_update({}, request, "c1");
  const json resources = runtime_update_resources(request, merged);
  CHECK(resources["memory"]["limit"] == 10 << 20);
  CHECK(resources["memory"]["swap"] == 20 << 20);

  // A swap-only update still names the limit: cgroup v2's swap.max is swap minus memory.
  const json swap_only = {{"MemorySwap", 40 << 20}};
  const json later = runtime_update_resources(swap_only, merge_update(merged, swap_only, "c1"));
  CHECK(later["memory"]["limit"] == 10 << 20);
  CHECK(later["memory"]["swap"] == 40 << 20);

  const json cpus = runtime_update_resources({{"CpusetCpus", "1"}}, merged);
  CHECK(cpus == json{{"cpu", {{"cpus", "1"}}}});
  CHECK(runtime_update_resources({{"Memory", 0}}, merged).is_null());
}

TEST_CASE("h3 update: a memory limit alone at create implies twice as much swap", "[update]") {
  // dockerd stores MemorySwap = 2 * Memory at create; berth's runtime spec has that limit too.
  CHECK_NOTHROW(merge_update({{"Memory", 64 << 20}}, {{"Memory", 100 << 20}}, "c1"));
  CHECK_THROWS_AS(merge_update({{"Memory", 64 << 20}}, {{"Memory", 200 << 20}}, "c1"), Conflict);
}
