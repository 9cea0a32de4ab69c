#pragma once
// The OCI runtime berthd drives (crun by default, runc where crun cannot run: crun 1.8 refuses
// hybrid cgroup v1/v2 hosts). Detection is by probing, not hard-coded; both appear in /info.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/subprocess.hpp"

namespace berth::engine {

struct RuntimeInfo {
  std::string name;     // "crun" or "runc"
  std::string path;     // absolute path of the binary
  std::string version;  // first line of `<runtime> --version`
  bool usable = false;  // can run containers on this host
  std::string reason;   // why not, when !usable
};

struct CgroupInfo {
  int version = 1;  // 2 only on a pure unified hierarchy
  std::string driver = "cgroupfs";
  bool hybrid = false;  // v1 controllers plus a v2 mount at /sys/fs/cgroup/unified
};

CgroupInfo detect_cgroups();

// Every runtime found on PATH with its usability on this host; the default is the first usable one
// in the order crun, runc (or the one named by `preferred` when usable).
std::vector<RuntimeInfo> detect_runtimes();
const RuntimeInfo& default_runtime(const std::vector<RuntimeInfo>& runtimes,
                                   const std::string& preferred = "");

// Runtime commands that need no stdio (the shim runs create/start/exec itself). `state_root` is the
// runtime's --root under the engine's exec root. Each throws berth::Error with the runtime's
// stderr.
class Runtime {
 public:
  Runtime(RuntimeInfo info, std::string state_root);
  const RuntimeInfo& info() const { return info_; }
  const std::string& state_root() const { return state_root_; }

  void kill(const std::string& id, int signal, bool all = false) const;
  void pause(const std::string& id) const;
  void resume(const std::string& id) const;
  // Removes the runtime's record of a stopped container (force also kills a running one).
  void remove(const std::string& id, bool force) const;
  // Whether the runtime still keeps state for the container (runc and crun: a directory named after
  // it under the state root). Cheap: no process is spawned.
  bool has_state(const std::string& id) const;
  // Runs the process described by `process_file` (an OCI process JSON) in the container and waits
  // for it, capturing its output; throws Timeout after `timeout` (the runtime is killed).
  CaptureResult exec_capture(const std::string& id, const std::string& process_file,
                             std::chrono::milliseconds timeout) const;
  // PIDs in the container (`runc ps --format json`).
  std::vector<int> pids(const std::string& id) const;
  // Runtime state JSON ({"status": "running"|"paused"|"stopped"|"created", "pid": ...}), or nullopt
  // when the runtime does not know the container.
  std::optional<std::string> state_json(const std::string& id) const;
  // Changes resource limits of a running container (`docker update`): a LinuxResources JSON.
  void update(const std::string& id, const std::string& resources_json) const;

 private:
  RuntimeInfo info_;
  std::string state_root_;
};

}  // namespace berth::engine
