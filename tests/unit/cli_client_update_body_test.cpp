// berth update's flags become the UpdateConfig docker sends.
#include <catch2/catch.hpp>

#include "cli/client/image_reference.hpp"
#include "cli/client/update_body.hpp"
#include "common/error.hpp"

using namespace berth::cli::client;

TEST_CASE("update body carries only the given flags in engine units") {
  UpdateFlags f;
  f.memory = "64m";
  f.memory_swap = "-1";
  f.cpus = "1.5";
  f.cpu_shares = 512;
  f.pids_limit = 100;
  f.restart = "on-failure:3";
  const auto body = update_body(f);
  CHECK(body.at("Memory") == 64 * 1024 * 1024);
  CHECK(body.at("MemorySwap") == -1);
  CHECK(body.at("NanoCpus") == 1500000000);
  CHECK(body.at("CpuShares") == 512);
  CHECK(body.at("PidsLimit") == 100);
  CHECK(body.at("RestartPolicy").at("Name") == "on-failure");
  CHECK(body.at("RestartPolicy").at("MaximumRetryCount") == 3);
  CHECK_FALSE(body.contains("CpusetCpus"));
  CHECK(f.any());
  CHECK_FALSE(UpdateFlags{}.any());
}

TEST_CASE("update body refuses bad values with docker's words") {
  UpdateFlags bad_memory;
  bad_memory.memory = "lots";
  CHECK_THROWS_WITH(update_body(bad_memory),
                    Catch::StartsWith("invalid argument \"lots\" for \"-m, --memory\" flag"));
  UpdateFlags bad_restart;
  bad_restart.restart = "sometimes";
  CHECK_THROWS_WITH(update_body(bad_restart),
                    Catch::Contains("invalid restart policy: unknown policy 'sometimes'"));
  UpdateFlags retries_on_always;
  retries_on_always.restart = "always:3";
  CHECK_THROWS_AS(update_body(retries_on_always), berth::InvalidArgument);
}

TEST_CASE("image references normalise and print as docker prints them") {
  CHECK(canonical_reference(pull_target("busybox")) == "docker.io/library/busybox:latest");
  CHECK(canonical_reference(pull_target("me/app:1")) == "docker.io/me/app:1");
  CHECK(canonical_reference(pull_target("localhost:5000/x")) == "localhost:5000/x:latest");
  CHECK(canonical_reference(pull_target("busybox"), true) == "docker.io/library/busybox");
  CHECK(familiar_name("docker.io/library/busybox") == "busybox");
  CHECK(familiar_name("docker.io/me/app") == "me/app");
  CHECK(familiar_name("localhost:5000/x") == "localhost:5000/x");
  CHECK(is_name_only("localhost:5000/x"));
  CHECK_FALSE(is_name_only("busybox:1"));
  CHECK_THROWS_WITH(
      check_reference_format("Busybox"),
      "invalid reference format: repository name (library/Busybox) must be lowercase");
  CHECK_THROWS_WITH(check_reference_format("bad name"), "invalid reference format");
  CHECK_NOTHROW(check_reference_format("localhost:5000/a_b-c.d:1.0"));
}
