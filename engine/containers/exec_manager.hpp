#pragma once
// `docker exec`: extra processes in a running container, each with a shim of its own (so its stdio
// and exit code are handled exactly like a container's init).
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/stream.hpp"
#include "engine/containers/shim_client.hpp"

namespace berth::engine {

class ContainerManager;
class EventBus;

class ExecManager {
 public:
  ExecManager(ContainerManager& containers, EventBus& events);

  // POST /containers/{id}/exec: Conflict when the container is not running.
  std::string create(const std::string& container_ref, const nlohmann::json& config);
  // Detached: starts and returns. Attached: `client` gets the process's stdio until it exits.
  void start(const std::string& exec_id, bool detach, Stream* client);
  void resize(const std::string& exec_id, int height, int width);
  nlohmann::json inspect(const std::string& exec_id) const;
  bool tty(const std::string& exec_id) const;

 private:
  struct Exec {
    std::string id, container_id;
    nlohmann::json config;
    bool running = false, started = false;
    std::optional<int> exit_code;
    int pid = 0;
    std::optional<ShimClient> shim;
  };
  std::shared_ptr<Exec> find(const std::string& id) const;
  void watch(std::shared_ptr<Exec> exec);
  void fail_start(Exec& exec, const std::string& message, Stream* client);
  static constexpr int kStartFailedExitCode = 126;  // dockerd's, for any exec that cannot start

  ContainerManager& containers_;
  EventBus& events_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<Exec>> execs_;
};

}  // namespace berth::engine
