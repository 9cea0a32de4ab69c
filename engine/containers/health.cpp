#include "engine/containers/health.hpp"

#include <thread>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/time_format.hpp"

using nlohmann::json;

namespace berth::engine {
namespace {

// Docker's output limit per probe in State.Health.Log.
constexpr size_t kMaxOutput = 4096;

std::chrono::nanoseconds duration_or(const json& hc, std::string_view key,
                                     std::chrono::nanoseconds fallback) {
  const int64_t ns = get_int64(hc, key);
  if (ns < 0) throw InvalidArgument(std::string(key) + " in the health check cannot be negative");
  // dockerd's floor: 1 ms (0 means the default).
  if (ns > 0 && ns < 1'000'000)
    throw InvalidArgument(std::string(key) + " in Healthcheck cannot be less than 1ms");
  return ns == 0 ? fallback : std::chrono::nanoseconds(ns);
}

}  // namespace

std::optional<HealthConfig> HealthConfig::from_config(const json& container_config) {
  const json* hc = find_field(container_config, "Healthcheck");
  if (hc == nullptr || !hc->is_object()) return std::nullopt;
  const auto test = get_string_array(*hc, "Test");
  if (test.empty() || test[0] == "NONE") return std::nullopt;
  HealthConfig config;
  if (test[0] == "CMD-SHELL") {
    if (test.size() < 2) throw InvalidArgument("health check CMD-SHELL needs a command");
    config.command = {"/bin/sh", "-c", test[1]};
  } else if (test[0] == "CMD") {
    if (test.size() < 2) throw InvalidArgument("health check CMD needs a command");
    config.command.assign(test.begin() + 1, test.end());
  } else {
    throw InvalidArgument("unknown health check type \"" + test[0] + "\" (CMD, CMD-SHELL or NONE)");
  }
  config.interval = duration_or(*hc, "Interval", config.interval);
  config.timeout = duration_or(*hc, "Timeout", config.timeout);
  config.start_period = duration_or(*hc, "StartPeriod", config.start_period);
  config.start_interval = duration_or(*hc, "StartInterval", config.start_interval);
  const int64_t retries = get_int64(*hc, "Retries");
  if (retries < 0) throw InvalidArgument("Retries in the health check cannot be negative");
  if (retries > 0) config.retries = static_cast<int>(retries);
  return config;
}

bool HealthState::record(const ProbeResult& result, const std::string& start,
                         const std::string& end, int retries, bool in_start_period) {
  const std::string before = status_;
  std::string output = result.output.substr(0, kMaxOutput);
  log_.push_back(
      {{"Start", start}, {"End", end}, {"ExitCode", result.exit_code}, {"Output", output}});
  if (log_.size() > kLogEntries) log_.erase(log_.begin());
  if (result.exit_code == 0) {
    failing_streak_ = 0;
    status_ = "healthy";
  } else if (!in_start_period) {
    // Failures while the container is still starting up do not count against it (docker).
    if (++failing_streak_ >= retries) status_ = "unhealthy";
  }
  return status_ != before;
}

json HealthState::to_json() const {
  return {{"Status", status_}, {"FailingStreak", failing_streak_}, {"Log", log_}};
}

HealthChecker::HealthChecker(HealthConfig config, ProbeFn probe, HealthResultFn on_result) {
  std::thread([shared = shared_, config = std::move(config), probe = std::move(probe),
               on_result = std::move(on_result)] {
    auto stopped = [&] {
      std::lock_guard lock(shared->mutex);
      return shared->stop;
    };
    const auto started = std::chrono::steady_clock::now();
    auto in_start_period = [&] {
      return std::chrono::steady_clock::now() - started < config.start_period;
    };
    for (;;) {
      // Within the start period docker probes at the (usually shorter) start interval.
      const auto wait =
          in_start_period() ? std::min(config.start_interval, config.interval) : config.interval;
      {
        std::unique_lock lock(shared->mutex);
        if (shared->stop_cv.wait_for(lock, wait, [&] { return shared->stop; })) return;
      }
      const std::string start = rfc3339_nano(std::chrono::system_clock::now());
      ProbeResult result;
      try {
        result = probe(config.command, config.timeout);
      } catch (const std::exception& e) {
        result = {-1, e.what()};
      }
      if (stopped()) return;
      on_result(result, start, rfc3339_nano(std::chrono::system_clock::now()), in_start_period());
    }
  }).detach();
}

HealthChecker::~HealthChecker() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stop = true;
  }
  shared_->stop_cv.notify_all();
}

}  // namespace berth::engine
