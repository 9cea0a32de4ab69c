// `docker update` and `docker commit`.
#include <csignal>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/update_resources.hpp"
#include "engine/events.hpp"
#include "engine/images/dockerfile_changes.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/reference.hpp"

using nlohmann::json;

namespace berth::engine {

// moby's ContainerUpdate: the request is checked, merged into the stored HostConfig and, for a
// running container, applied to its cgroup; any refusal (ours or the runtime's) leaves both the
// record and the cgroup as they were.
std::vector<std::string> ContainerManager::update(const std::string& ref, const json& changes) {
  if (!changes.is_object()) throw InvalidArgument("update body must be a JSON object");
  verify_resources(changes, host_cpuset());
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  Container& c = e->c;
  json hc = merge_update(c.host_config, changes, c.id);
  if (auto policy = changes.find("RestartPolicy"); policy != changes.end() && policy->is_object()) {
    const std::string name = policy->value("Name", "");
    if (name != "" && name != "no" && name != "always" && name != "unless-stopped" &&
        name != "on-failure")
      throw InvalidArgument("invalid restart policy '" + name + "'");
    if (hc.value("AutoRemove", false) && name != "" && name != "no")
      throw Conflict(
          "Cannot update container " + c.id +
          ": Restart policy cannot be updated because AutoRemove is enabled for the container");
    if (name != "") hc["RestartPolicy"] = *policy;
  }
  // A restarting container gets its limits at its next start, as in dockerd.
  if (c.state.running() && c.state.status != "restarting") {
    if (const json resources = runtime_update_resources(changes, hc); !resources.is_null())
      runtime_.update(c.id, resources.dump());
  }
  c.host_config = std::move(hc);
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
  // Events in dockerd's order: pause, the new image's tag, commit, unpause.
  const bool paused_here = pause && c.state.status == "running";
  if (paused_here) {
    runtime_.pause(c.id);
    publish(c, "pause");
  }
  std::string id;
  try {
    const Image base = images_.get(c.image_id);
    // A container never started has no layer of its own yet: it commits as an empty one, as with
    // dockerd.
    const std::string upper = container_dir(c.id) + "/rw/upper";
    ensure_directory(upper, 0755);
    const Image image = images_.commit(upper, base, config, reference, comment, author,
                                       ImageStore::CommitSource{c.id, c.config});
    id = image.id;
  } catch (...) {
    if (paused_here) {
      runtime_.resume(c.id);
      publish(c, "unpause");
    }
    throw;
  }
  if (!reference.empty())
    events_.publish(Event{.type = "image",
                          .action = "tag",
                          .id = id,
                          .attributes = {{"name", Reference::parse(reference).familiar_string()}}});
  publish(c, "commit", {{"comment", comment}});
  if (paused_here) {
    runtime_.resume(c.id);
    publish(c, "unpause");
  }
  return id;
}

}  // namespace berth::engine
