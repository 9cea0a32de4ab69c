// /info fields taken from the host as dockerd takes them (engine/api/system_routes).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "engine/api/system_routes.hpp"

using namespace berth;
using namespace berth::engine::api;

TEST_CASE("h3 info: RuncCommit is the runtime's commit line, as dockerd fills it", "[info]") {
  CHECK(runtime_commit("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n"
                       "go: go1.19.8\nlibseccomp: 2.5.4\n") == "1.1.5+ds1-1+deb12u1");
  CHECK(runtime_commit("crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30\n") ==
        "f8a096be060b22ccd3d5f3ebe44108517fbf6c30");
  // No commit line: the version, never the "runc version" prefix twice.
  CHECK(runtime_commit("runc version 1.1.5+ds1") == "1.1.5+ds1");
  CHECK(runtime_commit("") == "N/A");
}

TEST_CASE("h3 info: Debug is the configured debug mode, not the log level", "[info]") {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("berth-h3-info-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  CHECK_FALSE(debug_mode_configured(""));
  write_file_atomic(dir + "/on.json", R"({"debug": true})");
  write_file_atomic(dir + "/level.json", R"({"log-level": "debug"})");
  CHECK(debug_mode_configured(dir + "/on.json"));
  CHECK_FALSE(debug_mode_configured(dir + "/level.json"));
  CHECK_FALSE(debug_mode_configured(dir + "/missing.json"));
  std::filesystem::remove_all(dir);
}
