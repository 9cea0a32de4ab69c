// `--platform` against an image's config, as dockerd's create compares them (containerd's parsing
// and normalisation of the specifier).
#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "engine/images/platform.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;

TEST_CASE("the platform option matches an image of that platform in any of its spellings",
          "[engine][images]") {
  const json amd64 = {{"os", "linux"}, {"architecture", "amd64"}};
  for (const char* same : {"linux/amd64", "amd64", "x86_64", "LINUX/X86-64", "linux"})
    CHECK(platform_mismatch(amd64, same).empty());
  CHECK(platform_mismatch(amd64, "linux/arm64") == "wanted linux/arm64, actual: linux/amd64");
  CHECK(platform_mismatch(amd64, "windows/amd64") == "wanted windows/amd64, actual: linux/amd64");
  const json arm = {{"os", "linux"}, {"architecture", "arm"}, {"variant", "v7"}};
  CHECK(platform_mismatch(arm, "linux/arm").empty());
  CHECK(platform_mismatch(arm, "linux/arm/6") == "wanted linux/arm/v6, actual: linux/arm/v7");
  CHECK(platform_mismatch({{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}},
                          "linux/aarch64")
            .empty());
}

TEST_CASE("a malformed platform option is refused in containerd's words", "[engine][images]") {
  const json amd64 = {{"os", "linux"}, {"architecture", "amd64"}};
  CHECK_THROWS_WITH(platform_mismatch(amd64, "linux//x"),
                    "\"\" is an invalid component of \"linux//x\": platform specifier component "
                    "must match \"^[A-Za-z0-9_-]+$\": invalid argument");
  CHECK_THROWS_AS(platform_mismatch(amd64, "a/b/c/d"), InvalidArgument);
}
