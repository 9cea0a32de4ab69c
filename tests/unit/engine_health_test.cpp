#include "engine/containers/health.hpp"

#include <catch2/catch.hpp>

#include "common/error.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("health check config: docker's test forms and defaults", "[health]") {
  CHECK_FALSE(HealthConfig::from_config(json::object()).has_value());
  CHECK_FALSE(HealthConfig::from_config({{"Healthcheck", {{"Test", {"NONE"}}}}}).has_value());

  auto shell = HealthConfig::from_config({{"Healthcheck", {{"Test", {"CMD-SHELL", "curl -f x"}}}}});
  REQUIRE(shell.has_value());
  CHECK(shell->command == std::vector<std::string>{"/bin/sh", "-c", "curl -f x"});
  CHECK(shell->interval == 30s);
  CHECK(shell->timeout == 30s);
  CHECK(shell->retries == 3);

  auto exec = HealthConfig::from_config({{"Healthcheck",
                                          {{"Test", {"CMD", "true", "x"}},
                                           {"Interval", 1'000'000'000},
                                           {"Timeout", 2'000'000'000},
                                           {"Retries", 5}}}});
  REQUIRE(exec.has_value());
  CHECK(exec->command == std::vector<std::string>{"true", "x"});
  CHECK(exec->interval == 1s);
  CHECK(exec->timeout == 2s);
  CHECK(exec->retries == 5);

  CHECK_THROWS_AS(HealthConfig::from_config({{"Healthcheck", {{"Test", {"BOGUS", "x"}}}}}),
                  InvalidArgument);
  CHECK_THROWS_AS(HealthConfig::from_config({{"Healthcheck", {{"Test", {"CMD"}}}}}),
                  InvalidArgument);
  CHECK_THROWS_AS(
      HealthConfig::from_config({{"Healthcheck", {{"Test", {"CMD", "x"}}, {"Interval", -1}}}}),
      InvalidArgument);
}

TEST_CASE("health state: starting, healthy, unhealthy after the retries, start period",
          "[health]") {
  HealthState state;
  CHECK(state.status() == "starting");
  // Failures in the start period do not count.
  CHECK_FALSE(state.record({1, "no"}, "s", "e", 2, true));
  CHECK_FALSE(state.record({1, "no"}, "s", "e", 2, true));
  CHECK(state.status() == "starting");
  CHECK(state.to_json()["FailingStreak"] == 0);
  // One success: healthy at once.
  CHECK(state.record({0, "ok"}, "s", "e", 2, false));
  CHECK(state.status() == "healthy");
  // Unhealthy only after `retries` failures in a row.
  CHECK_FALSE(state.record({1, "no"}, "s", "e", 2, false));
  CHECK(state.status() == "healthy");
  CHECK(state.record({-1, "timed out"}, "s", "e", 2, false));
  CHECK(state.status() == "unhealthy");
  const json j = state.to_json();
  CHECK(j["FailingStreak"] == 2);
  // The log keeps the last five results, newest last.
  REQUIRE(j["Log"].size() == HealthState::kLogEntries);
  CHECK(j["Log"].back()["ExitCode"] == -1);
  CHECK(j["Log"].back()["Output"] == "timed out");
}

TEST_CASE("health state: a probe's output is cut at 4096 bytes", "[health]") {
  HealthState state;
  state.record({0, std::string(10000, 'x')}, "s", "e", 3, false);
  CHECK(state.to_json()["Log"][0]["Output"].get<std::string>().size() == 4096);
}
