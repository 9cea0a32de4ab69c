#pragma once
// Asks berthd over its unix socket whether it is up, the way clients will find it.
#include <chrono>
#include <optional>
#include <string>

namespace berth::agent {

struct EngineVersion {
  std::string version;
  std::string api_version;
};

// True when GET /_ping on `socket_path` answers 200 within `timeout`.
bool engine_ping(const std::string& socket_path, std::chrono::milliseconds timeout);
// GET /version's Version and ApiVersion; nullopt when the engine does not answer.
std::optional<EngineVersion> engine_version(const std::string& socket_path,
                                            std::chrono::milliseconds timeout);

// The unix socket berthd will listen on under `config_file` (daemon.json): its first unix://
// "hosts" entry, "<exec-root>/berth.sock" when it names no hosts, "" when it lists only TCP
// listeners. A missing file means berthd's defaults: /run/berth/berth.sock.
std::string engine_socket_for_config(const std::string& config_file);

}  // namespace berth::agent
