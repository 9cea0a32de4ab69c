#pragma once
// Docker health checks (HEALTHCHECK, --health-cmd): while a container runs, its test command runs
// inside it every interval; the outcome shows in inspect (State.Health), in ps ("Up 5 minutes
// (healthy)"), in `ps --filter health=` and as health_status events.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth::engine {

struct HealthConfig {
  std::vector<std::string> command;  // argv run in the container (CMD-SHELL becomes /bin/sh -c)
  std::chrono::nanoseconds interval{std::chrono::seconds(30)};
  std::chrono::nanoseconds timeout{std::chrono::seconds(30)};
  std::chrono::nanoseconds start_period{0};
  std::chrono::nanoseconds start_interval{std::chrono::seconds(5)};
  int retries = 3;

  // From Config.Healthcheck (zeros mean docker's defaults); nullopt when there is none or it is
  // ["NONE"]. Throws InvalidArgument for a test docker would refuse.
  static std::optional<HealthConfig> from_config(const nlohmann::json& container_config);
};

// One probe's outcome: the exit code (-1 when it could not run or timed out) and its output.
struct ProbeResult {
  int exit_code = -1;
  std::string output;
};

// Runs `command` in the container, bounded by `timeout`.
using ProbeFn = std::function<ProbeResult(const std::vector<std::string>& command,
                                          std::chrono::nanoseconds timeout)>;

// The State.Health object docker shows, updated with each probe: status starting → healthy or
// unhealthy (after `retries` failures in a row; failures within the start period do not count), the
// failing streak, and the last five results.
class HealthState {
 public:
  static constexpr size_t kLogEntries = 5;
  // Applies one result; returns true when the status changed.
  bool record(const ProbeResult& result, const std::string& start, const std::string& end,
              int retries, bool in_start_period);
  const std::string& status() const { return status_; }
  nlohmann::json to_json() const;

 private:
  std::string status_ = "starting";
  int failing_streak_ = 0;
  std::vector<nlohmann::json> log_;
};

// Called with each result, the probe's start and end (RFC 3339) and whether the start period was
// on.
using HealthResultFn = std::function<void(const ProbeResult& result, const std::string& start,
                                          const std::string& end, bool in_start_period)>;

// A thread that probes until the checker is destroyed; each result goes to `on_result`. Destruction
// never waits for a probe in progress (it may take up to the timeout, and the caller may hold the
// lock `on_result` takes): the thread finishes on its own and `on_result` must ignore results that
// arrive for a checker that is gone (ContainerManager checks a generation number).
class HealthChecker {
 public:
  HealthChecker(HealthConfig config, ProbeFn probe, HealthResultFn on_result);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable stop_cv;
    bool stop = false;
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace berth::engine
