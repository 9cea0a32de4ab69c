#pragma once
// Keeps berthd running inside the machine: starts it with the configuration provisioning wrote,
// restarts it with exponential backoff when it dies, stops it cleanly for shutdown, and watches
// for the moment it first answers /_ping.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/subprocess.hpp"
#include "common/unique_fd.hpp"
#include "guest-agent/engine_control.hpp"

namespace berth::agent {

struct SupervisorOptions {
  // The first that exists is run: provisioning may upload a newer berthd to the data disk
  // (/etc/berth lives there), which must win over the one baked into the image.
  std::vector<std::string> binaries = {"/etc/berth/bin/berthd", "/usr/bin/berthd"};
  std::string config_file = "/etc/berth/daemon.json";
  // KEY=value lines added to berthd's environment (`berth machine create --engine-env`), read at
  // every start so a provisioning change applies with the next restart. Missing: nothing added.
  std::string env_file = "/etc/berth/engine.env";
  std::string log_file = "/var/log/berthd.log";  // berthd's stdout and stderr; empty: inherit
  // Extra arguments, before the config flags (tests run stand-ins that are not berthd).
  std::vector<std::string> extra_args;
  // Replaces the socket derived from the config (tests).
  std::optional<std::string> socket_override;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30'000};
  // A run this long counts as healthy: the next crash restarts after initial_backoff again.
  std::chrono::milliseconds healthy_after{60'000};
  std::chrono::milliseconds stop_timeout{10'000};  // SIGTERM, then SIGKILL after this
  std::chrono::milliseconds ready_poll{100};
};

class EngineSupervisor : public EngineControl {
 public:
  explicit EngineSupervisor(SupervisorOptions options);
  // Stops berthd and the supervising thread.
  ~EngineSupervisor() override;
  EngineSupervisor(const EngineSupervisor&) = delete;
  EngineSupervisor& operator=(const EngineSupervisor&) = delete;

  // Starts the supervising thread, which starts berthd.
  void start();

  EngineStatus status() override;
  int restart() override;
  void stop() override;

  // The command line the next start will use (exposed for tests and the log).
  std::vector<std::string> command_line() const;

 private:
  using SteadyClock = std::chrono::steady_clock;

  void run();
  // Runs one berthd process until it exits or is asked to stop; `lock` is held on entry and exit.
  void supervise_one(std::unique_lock<std::mutex>& lock);
  void terminate(Process& process);
  void wake() noexcept;
  std::string binary() const;

  SupervisorOptions options_;
  UniqueFd wake_;  // eventfd: a request is waiting for the supervising thread
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  // Requests, set by the API and cleared by the thread.
  bool quit_ = false;
  bool stop_requested_ = false;
  bool restart_requested_ = false;
  // What the thread reports.
  bool paused_ = false;  // stopped on request: not restarted until restart()
  bool running_ = false;
  bool ready_ = false;
  int pid_ = 0;
  std::uint64_t generation_ = 0;  // counts processes started
  int restarts_ = 0;
  std::chrono::milliseconds last_delay_{0};
  std::string last_exit_;
  // berthd exited by itself with status 0: it was asked to stop (SIGTERM from provisioning over
  // SSH, which restarts the engine that way), so it is started again at once and not counted as
  // a crash.
  bool last_exit_clean_ = false;
  std::string socket_;
  std::string current_binary_;
  std::string current_config_;
  SteadyClock::time_point started_at_{};
  std::optional<double> ready_after_;
};

}  // namespace berth::agent
