// `docker update` and `docker commit`.
#include <csignal>

#include "common/error.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/events.hpp"
#include "engine/images/dockerfile_changes.hpp"
#include "engine/images/image_store.hpp"

using nlohmann::json;

namespace berth::engine {

std::vector<std::string> ContainerManager::update(const std::string& ref, const json& changes) {
  if (!changes.is_object()) throw InvalidArgument("update body must be a JSON object");
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  Container& c = e->c;
  json resources = json::object();
  json& hc = c.host_config;
  static const std::vector<std::string> allowed = {
      "Memory",   "MemorySwap", "MemoryReservation", "NanoCpus",  "CpuShares",   "CpuPeriod",
      "CpuQuota", "CpusetCpus", "CpusetMems",        "PidsLimit", "BlkioWeight", "RestartPolicy"};
  for (const auto& [key, value] : changes.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) continue;
    if (value.is_null()) continue;
    if (key == "RestartPolicy") {
      const std::string name = value.value("Name", "");
      if (name != "" && name != "no" && name != "always" && name != "unless-stopped" &&
          name != "on-failure")
        throw InvalidArgument("invalid restart policy '" + name + "'");
      if (hc.value("AutoRemove", false) && name != "" && name != "no")
        throw InvalidArgument(
            "Restart policy cannot be updated because AutoRemove is enabled for the container");
    }
    if (key == "Memory" && value.is_number() && value.get<int64_t>() != 0 &&
        value.get<int64_t>() < 6 * 1024 * 1024)
      throw InvalidArgument("Minimum memory limit allowed is 6MB");
    if (value.is_number() && value.get<int64_t>() == 0 && key != "PidsLimit") continue;
    hc[key] = value;
  }
  if (c.state.running()) {
    const int64_t memory = hc.value("Memory", int64_t{0});
    if (memory > 0) resources["memory"] = {{"limit", memory}};
    const int64_t nano = hc.value("NanoCpus", int64_t{0});
    if (nano > 0) resources["cpu"] = {{"quota", nano / 10'000}, {"period", 100'000}};
    if (hc.value("CpuShares", int64_t{0}) > 0) resources["cpu"]["shares"] = hc["CpuShares"];
    if (hc.contains("PidsLimit") && hc["PidsLimit"].is_number() &&
        hc["PidsLimit"].get<int64_t>() != 0)
      resources["pids"] = {{"limit", hc["PidsLimit"]}};
    if (!resources.empty()) runtime_.update(c.id, resources.dump());
  }
  save(c);
  publish(c, "update");
  return {};
}

std::string ContainerManager::commit(const std::string& ref, const std::string& reference,
                                     const std::string& comment, const std::string& author,
                                     const json& config_overrides,
                                     const std::vector<std::string>& changes, bool pause) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  Container& c = e->c;
  // As dockerd: the container's config, then the request's, then each --change. A bad change is
  // refused before the container is paused.
  json config = c.config;
  config.erase("Hostname");
  config.erase("Image");
  if (config_overrides.is_object())
    for (const auto& [k, v] : config_overrides.items())
      if (!v.is_null()) config[k] = v;
  config = apply_changes(std::move(config), changes);
  const bool paused_here = pause && c.state.status == "running";
  if (paused_here) runtime_.pause(c.id);
  std::string id;
  try {
    const Image base = images_.get(c.image_id);
    const Image image =
        images_.commit(container_dir(c.id) + "/rw/upper", base, config, reference, comment, author);
    id = image.id;
  } catch (...) {
    if (paused_here) runtime_.resume(c.id);
    throw;
  }
  if (paused_here) runtime_.resume(c.id);
  publish(c, "commit", {{"comment", comment}});
  return id;
}

}  // namespace berth::engine
