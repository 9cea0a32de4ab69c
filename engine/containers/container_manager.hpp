#pragma once
// Containers' lifecycle: create, start, stop, kill, restart, pause, rename, remove, wait, attach,
// logs, restart policies and live restore. The API layer translates HTTP into these calls;
// everything a container is made of (image layers, network, runtime, shim) is reached through the
// services below.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/stream.hpp"
#include "engine/containers/container.hpp"
#include "engine/containers/health.hpp"
#include "engine/containers/json_log.hpp"
#include "engine/containers/oci_spec.hpp"
#include "engine/containers/runtime.hpp"
#include "engine/containers/shim_client.hpp"

namespace berth::engine {

class ImageStore;
class NetworkManager;
class EventBus;
struct ContainerFilesInput;
struct LinkedContainer;

struct ContainerPaths {
  std::string data_root;  // containers/<id>/ holds the record, log, hosts files, rw layer
  std::string
      exec_root;  // containers/<id>/ holds the bundle, the rootfs mount and the shim's state
  std::string shim_path;
  std::string init_path;
  std::vector<std::string> dns;
  // Containers' default seccomp profile: "" (built-in), "unconfined" or a profile's JSON.
  std::string seccomp_profile;
};

// Thrown when the request asks for the state the container is already in (HTTP 304).
class NotModified : public Error {
 public:
  using Error::Error;
};

class ContainerManager {
 public:
  ContainerManager(ContainerPaths paths, ImageStore& images, NetworkManager& network,
                   EventBus& events, Runtime runtime);
  ~ContainerManager();

  // Loads every record, reattaches to shims of containers that kept running while berthd was down,
  // records the exit of those that ended meanwhile, and applies restart policies.
  void restore();
  // The first step of berthd's shutdown, before the API server drains its connections: attach and
  // exec sessions end (their processes keep running), and so do attaches still waiting for a
  // start, so that no connection outlives the drain.
  void close_sessions();
  // Stops monitoring (containers keep running: live restore).
  void shutdown();

  struct Created {
    std::string id;
    std::vector<std::string> warnings;
  };
  Created create(const std::string& name, const nlohmann::json& body);
  void start(const std::string& ref);
  void stop(const std::string& ref, std::optional<int> timeout_seconds,
            const std::string& signal = "");
  void kill(const std::string& ref, const std::string& signal);
  void restart(const std::string& ref, std::optional<int> timeout_seconds);
  void pause(const std::string& ref);
  void unpause(const std::string& ref);
  void rename(const std::string& ref, const std::string& new_name);
  void remove(const std::string& ref, bool force);
  // `docker rm -l web/db`: the link goes, both containers stay.
  void remove_link(const std::string& link_name);
  void resize(const std::string& ref, int height, int width);

  struct WaitResult {
    int status_code = 0;
    std::string error;
  };
  // condition: not-running (default), next-exit, removed. `registered` runs once the wait counts
  // from this moment (the route answers the client's headers there: the CLI starts the container
  // as soon as it has them, and an exit before the count was taken would never end a next-exit
  // wait). `cancelled` is polled while waiting.
  WaitResult wait(const std::string& ref, const std::string& condition,
                  const std::function<void()>& registered, const std::function<bool()>& cancelled);
  // Registers the session, then calls `hijack` (which answers the client and hands over its
  // connection), then blocks until the session ends. `detach_keys`: docker's key spec that ends a
  // TTY session's input without closing the container's stdin ("" = ctrl-p,ctrl-q).
  void attach(const std::string& ref, const std::function<Stream&()>& hijack, bool stdin,
              bool stdout, bool stderr, bool logs, bool stream,
              const std::string& detach_keys = "");
  // Docker's logs; `emit(stream, text)` per entry.
  void logs(const std::string& ref, LogReadOptions options,
            const std::function<void(std::string_view, std::string_view)>& emit,
            const std::function<bool()>& cancelled);

  std::string resolve(const std::string& ref) const;  // NotFound("No such container: ref")
  Container get(const std::string& ref) const;
  std::vector<Container> all() const;
  // Calls `fn` for each container, under that container's lock and without copying its record
  // (`docker ps` visits them all). `fn` must not call back into the manager.
  void for_each(const std::function<void(const Container&)>& fn) const;
  nlohmann::json inspect(const std::string& ref) const;
  // The ID GET /networks gives the network a container's NetworkMode names (bridge, host, none).
  std::string network_id(const std::string& name) const;
  // The variables of the container's links, as its execs get them (computed anew, as dockerd
  // does: a linked container that stopped fails the exec).
  std::vector<std::string> link_env(const Container& c) const;
  // HostConfig with the mounts of its --volumes-from sources added (inspect's Mounts); the
  // caller must not hold the container's lock.
  nlohmann::json host_config_with_volumes_from(const Container& c) const;

  // Runs `fn` with the container's root filesystem mounted (temporarily, when it is not running).
  void with_rootfs(const std::string& ref,
                   const std::function<void(const Container&, const std::string& rootfs)>& fn);
  // `docker update`: resource limits (applied to a running container too) and the restart policy.
  std::vector<std::string> update(const std::string& ref, const nlohmann::json& changes);
  // `docker commit`: a new image from the container's changes; returns the image ID. `changes` are
  // the --change Dockerfile instructions, applied over the container's config and the overrides.
  std::string commit(const std::string& ref, const std::string& reference,
                     const std::string& comment, const std::string& author,
                     const nlohmann::json& config_overrides,
                     const std::vector<std::string>& changes, bool pause);

  bool image_in_use(const std::string& image_id) const;
  std::vector<std::string> containers_using(const std::string& image_id) const;
  // A container event for what happens outside the manager (`top`, `export`), as dockerd logs.
  void record_event(const std::string& ref, const std::string& action);
  std::pair<std::vector<std::string>, int64_t> prune(
      const std::function<bool(const Container&)>& match);

  const ContainerPaths& paths() const { return paths_; }
  Runtime& runtime() { return runtime_; }
  std::string container_dir(const std::string& id) const;
  std::string bundle_dir(const std::string& id) const;
  std::string log_path(const std::string& id) const;
  std::string rootfs_dir(const std::string& id) const;
  // dockerd's init layer (init_layer.hpp), the lowest of the container's own layers.
  std::string init_layer_dir(const std::string& id) const;

 private:
  struct PendingAttach;
  struct Entry : std::enable_shared_from_this<Entry> {
    std::mutex mutex;
    std::condition_variable changed;
    Container c;
    std::optional<ShimClient> shim;
    std::vector<std::shared_ptr<PendingAttach>> pending;
    uint64_t exits = 0;    // bumps on every exit (wait next-exit)
    bool removed = false;  // wait removed
    bool stopping = false;
    // The shim reported the last exit: it deletes the container from the runtime itself, after
    // telling us, so neither our remove nor our answer to `wait` waits for that.
    bool shim_deletes_runtime_state = false;
    // The running health check, if the container has one; results of a replaced or stopped one
    // carry an older generation and are dropped.
    std::unique_ptr<HealthChecker> health_checker;
    std::optional<HealthState> health;
    uint64_t health_generation = 0;
    std::thread monitor;
  };
  using EntryPtr = std::shared_ptr<Entry>;

  // By ID, name, link name ("web/db") or unique ID prefix.
  EntryPtr find(const std::string& ref) const;
  EntryPtr find_by_link_name(const std::string& ref) const;  // null when it names no link
  // --link at create: the linked containers, checked (each exists, no host networking).
  std::vector<ContainerLink> requested_links(const nlohmann::json& host_config) const;
  // --link at start: each linked container must run on the default bridge (Error in dockerd's
  // words otherwise); its /etc/hosts line and variables go into `files` and `in`.
  std::vector<LinkedContainer> linked_containers(const Container& c) const;
  bool linked_containers_running(const Container& c) const;
  void apply_links(const Container& c, OciSpecInput& in, ContainerFilesInput& files) const;
  // HostConfig.Links as inspect shows it: ["/db:/web/db"], or null.
  nlohmann::json links_json(const Container& c) const;
  // linked_from_ for the container's links (under the maps' lock), and its removal.
  void index_links_locked(const Container& c);
  void unindex_links_locked(const std::string& linking_id);
  // The started container's new address into the /etc/hosts of the containers linking to it, as
  // dockerd does (their variables keep the old one, as with dockerd).
  void update_linking_hosts(const Container& c);
  enum class Durability { synced, renamed };
  // Writes the record atomically; `synced` also waits for the disk (fsync of file and directory),
  // `renamed` only guarantees a whole record across an engine crash, not a power loss.
  void save(const Container& c, Durability durability = Durability::synced) const;
  void start_locked(Entry& e, std::unique_lock<std::mutex>& lock);
  void prepare_rootfs(Entry& e);
  // --network container:X: X must run; the spec joins its network namespace, and the container
  // takes X's hostname (and, by the caller, its hosts files).
  void join_network_of(Entry& e, const std::string& ref, OciSpecInput& in) const;
  // --pid/--ipc container:X: the running donor's namespaces (and /dev/shm) for the spec.
  void join_donor_namespaces(const Entry& e, OciSpecInput& in) const;
  void prepare_shareable_shm(const Container& c, OciSpecInput& in) const;
  std::string shm_dir(const std::string& id) const;  // --ipc shareable's /dev/shm, on the host
  // The running donor named by --pid/--ipc container:X (its record, under its lock).
  Container running_donor(const Entry& e, const std::string& ref) const;
  // HostConfig with the mounts of --volumes-from sources added, for the runtime spec.
  nlohmann::json host_config_with_volumes_from(const Entry& e) const;
  // Docker's `network connect` / `network disconnect` events for the container's network.
  void publish_network(const Container& c, const std::string& action) const;
  void clear_previous_runtime_state(Entry& e);
  void start_health_check(Entry& e);
  ProbeResult run_health_probe(const Container& c, const std::vector<std::string>& command,
                               std::chrono::nanoseconds timeout) const;
  // What a stopped container still holds: its rootfs mount and its network attachment.
  struct HeldResources {
    std::string id;
    bool network = false;
  };
  // Stops the health check and takes the container's resources off its record (under its lock);
  // give_back() releases them (the network alone: give_back_network()), and needs no lock.
  HeldResources take_resources_locked(Entry& e);
  void give_back(HeldResources& held);
  void give_back_network(HeldResources& held);
  void release_resources(Entry& e);  // both at once
  enum class Persist { yes, no };
  // Release::by_caller leaves the resources held for the caller to take (auto-remove).
  enum class Release { now, by_caller };
  void on_exit(const EntryPtr& e, const ShimExit& exit, Persist persist = Persist::yes,
               Release release = Release::now);
  void monitor(EntryPtr e);
  bool should_restart(const Entry& e) const;
  void remove_locked(const EntryPtr& e, std::unique_lock<std::mutex>& lock);
  // An auto-remove container that just exited: gone from the engine at once, its resources and
  // files released after the lock (and with it the answer to `wait`) is given up.
  void remove_after_exit(const EntryPtr& e, std::unique_lock<std::mutex>& lock);
  // Out of the maps, `removed` set, waiters woken.
  void forget_locked(Entry& e);
  // The runtime's state, the bundle and the record go (the rootfs is unmounted by now).
  void discard_files(const std::string& id, bool shim_deletes_runtime_state);
  void remove_container(const std::string& ref, bool force);
  void collect_unused_images();
  void publish(const Container& c, const std::string& action,
               std::map<std::string, std::string> extra = {}) const;
  void connect_pending_attach(Entry& e, PendingAttach& pending);
  // A start failed: the clients attached for it get no stream, and their sessions end now (as
  // with dockerd) instead of waiting for a start that may never come.
  void fail_pending_attaches(Entry& e, const std::string& error);
  bool wait_for_exit(Entry& e, std::unique_lock<std::mutex>& lock, uint64_t exits_before,
                     std::chrono::milliseconds timeout);
  std::string unique_name_locked() const;

  ContainerPaths paths_;
  ImageStore& images_;
  NetworkManager& network_;
  EventBus& events_;
  Runtime runtime_;
  mutable std::mutex mutex_;  // the maps below
  std::map<std::string, EntryPtr> by_id_;
  std::map<std::string, std::string> id_by_name_;  // "/web" → id
  // Legacy links by the linked container's ID: (linking container's ID, alias). A linked
  // container that starts updates its line in the linking containers' /etc/hosts.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> linked_from_;
  std::mutex hosts_files_mutex_;  // those updates' read-modify-write of a hosts file
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> sessions_closing_{false};
};

// Parses "KILL", "SIGKILL", "9" into a signal number; InvalidArgument("Invalid signal: X").
int parse_signal(const std::string& text);
// Whether Linux has signal number `sig` (moby's ValidSignalForPlatform: 1-31 and 34-64).
bool signal_valid_on_linux(int sig);

}  // namespace berth::engine
