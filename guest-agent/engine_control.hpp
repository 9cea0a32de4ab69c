#pragma once
// What the agent's commands need from the engine supervisor. An interface so the protocol tests run
// without a berthd.
#include <optional>
#include <string>

#include "common/error.hpp"

namespace berth::agent {

struct EngineStatus {
  bool supervised = false;  // false when the agent runs with --no-engine
  bool running = false;     // a berthd process exists
  bool ready = false;       // it answered /_ping just now
  int pid = 0;
  std::string version;                  // from /version when ready
  std::string api_version;              // from /version when ready
  int restarts = 0;                     // times berthd died on its own since the agent started
  long long last_restart_delay_ms = 0;  // the backoff waited before the latest such restart
  double running_seconds = 0;
  std::optional<double> ready_after_seconds;  // start to first /_ping answer, for this process
  std::string last_exit;  // "exit status 1", "killed by signal 9 (Killed)"; empty if none yet
  std::string binary;
  std::string config_file;  // empty when berthd runs with built-in defaults
  std::string socket;       // the unix socket probed; empty when the config names none
};

class EngineControl {
 public:
  virtual ~EngineControl() = default;
  virtual EngineStatus status() = 0;
  // Stops berthd (if running) and starts it again at once with the configuration now on disk;
  // returns once the new process exists (its pid), not when it is ready.
  virtual int restart() = 0;
  // Stops berthd cleanly and keeps it stopped (machine shutdown).
  virtual void stop() = 0;
};

// For an agent run with --no-engine (the machine runs some other engine, or none).
class UnsupervisedEngine : public EngineControl {
 public:
  EngineStatus status() override { return {}; }
  int restart() override { throw Unavailable("the engine is not supervised by this agent"); }
  void stop() override {}
};

}  // namespace berth::agent
