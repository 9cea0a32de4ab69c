#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "common/http_router.hpp"

namespace berth::engine {
class ContainerManager;
class ExecManager;
class ContainerFilesystem;
class ImageStore;
class EventBus;
struct DaemonConfig;
struct RuntimeInfo;
struct CgroupInfo;
class NetworkManager;
}  // namespace berth::engine

namespace berth::engine::api {

struct SystemContext {
  const DaemonConfig& config;
  ContainerManager& containers;
  ExecManager& execs;
  ContainerFilesystem& filesystem;
  ImageStore& images;
  EventBus& events;
  const std::vector<RuntimeInfo>& runtimes;
  const RuntimeInfo& default_runtime;
  const CgroupInfo& cgroups;
  NetworkManager& network;
  std::string engine_id;
};

// /_ping, /version, /info, /events, /system/df.
void add_system_routes(http::Router& router, const SystemContext& context);

// What dockerd's /info takes from `<runtime> --version` for RuncCommit.ID: the "commit:" line's
// value (runc 1.1.5 on Debian: "1.1.5+ds1-1+deb12u1"), else the version after "version", else
// "N/A".
std::string runtime_commit(const std::string& version_output);
// dockerd's Debug field: the daemon runs in debug mode ("debug": true in its configuration file),
// which a debug log level alone does not make it.
bool debug_mode_configured(const std::string& config_file);

}  // namespace berth::engine::api
