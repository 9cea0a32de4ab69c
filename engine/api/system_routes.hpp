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
  std::string engine_id;
};

// /_ping, /version, /info, /events, /system/df.
void add_system_routes(http::Router& router, const SystemContext& context);

}  // namespace berth::engine::api
