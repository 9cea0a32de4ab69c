// Stopping, killing, restarting, pausing, renaming and removing containers; reacting to exits
// (restart policies, auto-remove); and picking up where a previous berthd left off.
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/time_format.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/start_errors.hpp"
#include "engine/containers/trash.hpp"
#include "engine/events.hpp"
#include "engine/images/image_store.hpp"
#include "engine/network/network_manager.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace berth::engine {

void ContainerManager::start(const std::string& ref) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  if (e->c.state.status == "running" || e->c.state.status == "paused")
    throw NotModified("container already started");
  if (e->c.state.status == "restarting") throw NotModified("container is restarting");
  e->c.manually_stopped = false;
  try {
    start_locked(*e, lock);
  } catch (const std::exception& ex) {
    // As dockerd: the container stays created with the error and the exit code a shell would give
    // (127 command not found, 126 not executable; see start_errors.hpp), and an auto-remove
    // container goes away.
    Container& c = e->c;
    c.state.error = ex.what();
    const auto* refused = dynamic_cast<const RuntimeStartRefused*>(&ex);
    c.state.exit_code = refused ? refused->exit_code() : kContainerStartFailedExitCode;
    save(c);
    if (c.host_config.value("AutoRemove", false)) remove_locked(e, lock);
    throw;
  }
  std::thread([this, e] { monitor(e); }).detach();
}

bool ContainerManager::wait_for_exit(Entry& e, std::unique_lock<std::mutex>& lock,
                                     uint64_t exits_before, std::chrono::milliseconds timeout) {
  return e.changed.wait_for(lock, timeout, [&] { return e.exits > exits_before || e.removed; });
}

bool ContainerManager::should_restart(const Entry& e) const {
  if (e.c.manually_stopped || e.removed || shutting_down_) return false;
  const auto policy = e.c.host_config.value("RestartPolicy", nlohmann::json::object());
  const std::string name = policy.value("Name", "no");
  if (name == "always" || name == "unless-stopped") return true;
  if (name == "on-failure") {
    const int max = policy.value("MaximumRetryCount", 0);
    return e.c.state.exit_code != 0 && (max == 0 || e.c.restart_count < max);
  }
  return false;
}

void ContainerManager::on_exit(const EntryPtr& e, const ShimExit& exit, Persist persist,
                               Release release) {
  Container& c = e->c;
  c.state.status = "exited";
  c.state.exit_code = exit.exit_code;
  c.state.oom_killed = exit.oom_killed;
  c.state.error = exit.error;
  c.state.pid = 0;
  c.state.finished_at =
      exit.finished_at.empty() ? rfc3339_nano(std::chrono::system_clock::now()) : exit.finished_at;
  e->shim.reset();
  if (release == Release::now) release_resources(*e);
  if (persist == Persist::yes) save(c);
  if (exit.oom_killed) publish(c, "oom");
  publish(c, "die", {{"exitCode", std::to_string(exit.exit_code)}});
  publish_network(c, "disconnect");
  ++e->exits;
  e->changed.notify_all();
}

void ContainerManager::monitor(EntryPtr e) {
  auto backoff = 100ms;
  for (;;) {
    std::optional<ShimClient> shim;
    {
      std::lock_guard lock(e->mutex);
      shim = e->shim;
    }
    if (!shim) return;
    std::optional<ShimExit> exit;
    while (!exit) {
      if (shutting_down_) return;  // live restore: the next berthd picks the container up
      bool from_shim = true;
      try {
        // No timeout: an idle container costs the engine no wake-ups. At shutdown the process ends
        // with this wait still open; the shim does not mind.
        exit = shim->wait(std::nullopt);
      } catch (const std::exception& ex) {
        // The shim died without a word: its exit record (if any) is all that is left.
        from_shim = false;
        exit = ShimClient::read_exit(shim->state_dir());
        if (!exit) exit = ShimExit{255, "", false, std::string("shim failed: ") + ex.what()};
      }
      if (exit) {
        std::lock_guard lock(e->mutex);
        e->shim_deletes_runtime_state = from_shim;
      }
    }
    std::unique_lock lock(e->mutex);
    if (e->removed) return;
    const auto started = e->c.state.started_at;
    // An auto-remove container's record is deleted right below: writing its exit first is waste.
    const bool auto_remove = e->c.host_config.value("AutoRemove", false);
    if (auto_remove) {
      // AutoRemove excludes restart policies (create and update refuse both), so this exit is
      // its last.
      const auto exited = std::chrono::steady_clock::now();
      on_exit(e, *exit, Persist::no, Release::by_caller);
      const std::string id = e->c.id;
      remove_after_exit(e, lock);
      // With the start's phases: where the engine's part of `docker run --rm` goes.
      log::debug(
          "container auto-removed",
          {{"id", id}, {"ms", milliseconds_text(std::chrono::steady_clock::now() - exited)}});
      collect_unused_images();
      return;
    }
    on_exit(e, *exit);
    if (!should_restart(*e)) return;
    // Docker's backoff: doubling from 100 ms, reset when the container ran for 10 s or more.
    try {
      if (std::chrono::system_clock::now() - parse_rfc3339(started) > 10s) backoff = 100ms;
    } catch (const std::exception&) {
    }
    e->c.state.status = "restarting";
    save(e->c);
    e->changed.wait_for(lock, backoff, [&] {
      return e->removed || e->c.manually_stopped || shutting_down_.load();
    });
    if (e->removed || e->c.manually_stopped || shutting_down_) {
      if (!e->removed && e->c.state.status == "restarting") {
        e->c.state.status = "exited";
        save(e->c);
        e->changed.notify_all();
      }
      return;
    }
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 60'000ms);
    ++e->c.restart_count;
    try {
      start_locked(*e, lock);
      publish(e->c, "restart");
    } catch (const std::exception& ex) {
      e->c.state.status = "exited";
      e->c.state.error = ex.what();
      save(e->c);
      e->changed.notify_all();
      log::warn("restart failed", {{"id", e->c.id}, {"error", ex.what()}});
      return;
    }
  }
}

void ContainerManager::stop(const std::string& ref, std::optional<int> timeout_seconds,
                            const std::string& signal) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  Container& c = e->c;
  if (c.state.status == "restarting") {
    c.manually_stopped = true;
    c.state.status = "exited";
    save(c);
    e->changed.notify_all();
    publish(c, "stop");
    return;
  }
  if (!c.state.running()) throw NotModified("container already stopped");
  c.manually_stopped = true;
  save(c);
  if (c.state.status == "paused") runtime_.resume(c.id);
  const uint64_t exits = e->exits;
  const std::string stop_signal =
      !signal.empty() ? signal : c.config.value("StopSignal", "SIGTERM");
  const int timeout = timeout_seconds.value_or(c.config.value("StopTimeout", 10));
  // Events as dockerd's: a kill for each signal sent, the exit's die, then stop.
  const int sig = parse_signal(stop_signal);
  try {
    runtime_.kill(c.id, sig);
  } catch (const Error& ex) {
    log::debug("stop signal not delivered", {{"id", c.id}, {"error", ex.what()}});
  }
  publish(c, "kill", {{"signal", std::to_string(sig)}});
  const bool exited =
      (timeout >= 0 && wait_for_exit(*e, lock, exits, std::chrono::seconds(timeout))) ||
      e->exits > exits || e->removed;
  if (!exited) {
    try {
      runtime_.kill(c.id, SIGKILL, true);
    } catch (const Error& ex) {
      log::debug("SIGKILL not delivered", {{"id", c.id}, {"error", ex.what()}});
    }
    publish(c, "kill", {{"signal", std::to_string(SIGKILL)}});
    if (!wait_for_exit(*e, lock, exits, 30s))
      throw Error("container " + c.id + " did not exit within 30 seconds of SIGKILL");
  }
  publish(c, "stop");
}

void ContainerManager::kill(const std::string& ref, const std::string& signal) {
  // dockerd: a signal it cannot parse is reported as is, every other failure as one of killing.
  const int sig = parse_signal(signal.empty() ? "KILL" : signal);
  const std::string failed = "Cannot kill container: " + ref + ": ";
  if (!signal_valid_on_linux(sig))
    throw InvalidArgument(failed + "The linux daemon does not support signal " +
                          std::to_string(sig));
  EntryPtr e;
  try {
    e = find(ref);
  } catch (const NotFound& missing) {
    throw NotFound(failed + missing.what());
  }
  std::unique_lock lock(e->mutex);
  Container& c = e->c;
  if (!c.state.running() || c.state.status == "restarting")
    throw Conflict("Cannot kill container: " + ref + ": Container " + c.id + " is not running");
  // As dockerd: a kill counts as a manual stop, so restart policies leave the container down.
  c.manually_stopped = true;
  save(c);
  runtime_.kill(c.id, sig);
  publish(c, "kill", {{"signal", std::to_string(sig)}});
}

void ContainerManager::restart(const std::string& ref, std::optional<int> timeout_seconds) {
  auto e = find(ref);  // a missing container is answered as such (404)
  try {
    try {
      stop(ref, timeout_seconds);
    } catch (const NotModified&) {
    }
    std::unique_lock lock(e->mutex);
    e->c.manually_stopped = false;
    start_locked(*e, lock);
    publish(e->c, "restart");
  } catch (const std::exception& ex) {
    // dockerd wraps whatever failed in the restart (and answers 500).
    throw Error("Cannot restart container " + ref + ": " + ex.what());
  }
  std::thread([this, e] { monitor(e); }).detach();
}

void ContainerManager::pause(const std::string& ref) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  if (e->c.state.status == "paused") throw Conflict("Container " + e->c.id + " is already paused");
  if (e->c.state.status != "running") throw Conflict("Container " + e->c.id + " is not running");
  runtime_.pause(e->c.id);
  e->c.state.status = "paused";
  save(e->c);
  publish(e->c, "pause");
}

void ContainerManager::unpause(const std::string& ref) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  if (e->c.state.status != "paused") throw Conflict("Container " + e->c.id + " is not paused");
  runtime_.resume(e->c.id);
  e->c.state.status = "running";
  save(e->c);
  publish(e->c, "unpause");
}

void ContainerManager::rename(const std::string& ref, const std::string& new_name) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  const std::string name = new_name.empty() || new_name.front() == '/' ? new_name : "/" + new_name;
  if (name == e->c.name)
    throw InvalidArgument("Renaming a container with the same name as its current name");
  // dockerd checks the new name when it reserves it, and says so.
  const std::string failed = "Error when allocating new name: ";
  if (name.size() < 3 ||
      !std::all_of(name.begin() + 1, name.end(),
                   [](char ch) {
                     return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
                            ch == '.' || ch == '-';
                   }) ||
      !std::isalnum(static_cast<unsigned char>(name[1])))
    throw InvalidArgument(failed + "Invalid container name (" + name +
                          "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  const std::string old_name = e->c.name;
  {
    std::lock_guard maps(mutex_);
    if (auto it = id_by_name_.find(name); it != id_by_name_.end())
      throw Conflict(
          failed + "Conflict. The container name \"" + name +
          "\" is already in use by container \"" + it->second +
          "\". You have to remove (or rename) that container to be able to reuse that name.");
    id_by_name_.erase(old_name);
    id_by_name_[name] = e->c.id;
  }
  e->c.name = name;
  save(e->c);
  publish(e->c, "rename", {{"oldName", old_name}});
}

void ContainerManager::collect_unused_images() {
  try {
    images_.collect_retained([this](const std::string& id) { return image_in_use(id); });
  } catch (const std::exception& ex) {
    log::warn("cannot collect unused image files", {{"error", ex.what()}});
  }
}

void ContainerManager::remove(const std::string& ref, bool force) {
  remove_container(ref, force);
  // Images removed with rmi -f while this container used them can go now (never under a
  // container's lock: image_in_use visits every container).
  collect_unused_images();
}

void ContainerManager::remove_container(const std::string& ref, bool force) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  Container& c = e->c;
  if (c.state.running()) {
    // dockerd's refusals, by state.
    if (!force && c.state.status == "paused")
      throw Conflict("You cannot remove a paused container " + c.id +
                     ". Unpause and then stop the container before attempting removal or force "
                     "remove");
    if (!force && c.state.status == "restarting")
      throw Conflict("You cannot remove a restarting container " + c.id +
                     ". Stop the container before attempting removal or force remove");
    if (!force)
      throw Conflict("You cannot remove a running container " + c.id +
                     ". Stop the container before attempting removal or force remove");
  }
  // A restarting container has no process between its runs: it is removed as it is.
  if (c.state.running() && c.state.status != "restarting") {
    c.manually_stopped = true;
    const uint64_t exits = e->exits;
    if (c.state.status == "paused") runtime_.resume(c.id);
    try {
      runtime_.kill(c.id, SIGKILL, true);
    } catch (const Error&) {
    }
    publish(c, "kill", {{"signal", std::to_string(SIGKILL)}});
    if (!wait_for_exit(*e, lock, exits, 30s))
      throw Error("container " + c.id + " did not exit after SIGKILL; not removed");
    if (e->removed) return;  // auto-remove got there first
  }
  remove_locked(e, lock);
}

void ContainerManager::remove_locked(const EntryPtr& e, std::unique_lock<std::mutex>&) {
  if (e->removed) return;
  e->c.state.status = "removing";
  release_resources(*e);
  discard_files(e->c.id, e->shim_deletes_runtime_state);
  forget_locked(*e);
}

// `docker run --rm` waits for "removed", so the container leaves the engine's view first, under
// its lock, and its mount and files are given back after: an overlay unmount syncs the upper
// layer's filesystem, 1-1.5 ms that every `run --rm` would otherwise wait for (several on a busy
// disk). Nothing else can reach the container by then (it is out of the maps; holders of its entry
// see `removed`). Its network still goes first: the next `run -p` with the same port may come the
// moment this one returns. If berthd dies in between, the record is still there, and restore
// removes it as any exited auto-remove container.
void ContainerManager::remove_after_exit(const EntryPtr& e, std::unique_lock<std::mutex>& lock) {
  e->c.state.status = "removing";
  HeldResources held = take_resources_locked(*e);
  give_back_network(held);
  const bool shim_deletes_runtime_state = e->shim_deletes_runtime_state;
  forget_locked(*e);
  lock.unlock();
  give_back(held);
  discard_files(held.id, shim_deletes_runtime_state);
}

void ContainerManager::forget_locked(Entry& e) {
  {
    std::lock_guard maps(mutex_);
    by_id_.erase(e.c.id);
    id_by_name_.erase(e.c.name);
    unindex_links_locked(e.c.id);
  }
  e.removed = true;
  for (auto& p : e.pending) p.reset();
  e.pending.clear();
  publish(e.c, "destroy");
  e.changed.notify_all();
}

void ContainerManager::discard_files(const std::string& id, bool shim_deletes_runtime_state) {
  if (!shim_deletes_runtime_state && runtime_.has_state(id)) {
    try {
      runtime_.remove(id, true);
    } catch (const Error& ex) {
      log::warn("cannot delete container from the runtime", {{"id", id}, {"error", ex.what()}});
    }
  }
  move_to_trash(bundle_dir(id), paths_.exec_root);
  move_to_trash(container_dir(id), paths_.data_root);
}

void ContainerManager::resize(const std::string& ref, int height, int width) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  if (!e->shim || !e->c.state.running()) throw Conflict("Container " + e->c.id + " is not running");
  e->shim->resize(height, width);
}

void ContainerManager::restore() {
  std::vector<EntryPtr> loaded;
  const fs::path dir = paths_.data_root + "/containers";
  for (const auto& item : fs::directory_iterator(dir)) {
    const auto record = item.path() / "config.v2.json";
    if (!fs::exists(record)) continue;
    try {
      auto e = std::make_shared<Entry>();
      e->c = Container::from_record(nlohmann::json::parse(read_file(record)));
      std::lock_guard lock(mutex_);
      by_id_[e->c.id] = e;
      index_links_locked(e->c);
      id_by_name_[e->c.name] = e->c.id;
      loaded.push_back(e);
    } catch (const std::exception& ex) {
      log::error("cannot load container record", {{"path", record.string()}, {"error", ex.what()}});
    }
  }
  std::vector<std::string> running;
  std::vector<EntryPtr> to_start;
  for (auto& e : loaded) {
    std::unique_lock lock(e->mutex);
    Container& c = e->c;
    const std::string shim_dir = bundle_dir(c.id) + "/shim";
    if (c.state.running()) {
      if (auto shim = ShimClient::reconnect(shim_dir)) {
        e->shim = std::move(shim);
        running.push_back(c.id);
        std::thread([this, e] { monitor(e); }).detach();
        continue;
      }
      // It ended while berthd was away (or the machine rebooted).
      auto exit = ShimClient::read_exit(shim_dir);
      on_exit(e, exit ? *exit
                      : ShimExit{255, "", false,
                                 "container was not running after the engine restarted"});
    }
    const std::string policy =
        c.host_config.value("RestartPolicy", nlohmann::json::object()).value("Name", "no");
    if (c.host_config.value("AutoRemove", false) && c.state.status == "exited") {
      remove_locked(e, lock);
      continue;
    }
    if ((policy == "always" || (policy == "unless-stopped" && !c.manually_stopped) ||
         (policy == "on-failure" && c.state.exit_code != 0 && should_restart(*e))) &&
        c.has_been_started && !c.manually_stopped)
      to_start.push_back(e);
  }
  try {
    network_.restore(running);
  } catch (const std::exception& ex) {
    log::error("cannot restore networking", {{"error", ex.what()}});
  }
  // Oldest first: a linked container is always older than the one linking to it (links name
  // existing containers), and must run before that one starts. (`created` never changes.)
  std::sort(to_start.begin(), to_start.end(),
            [](const EntryPtr& a, const EntryPtr& b) { return created_before(a->c, b->c); });
  std::vector<EntryPtr> waiting_for_links;
  auto start_restored = [this](const EntryPtr& e) {
    std::unique_lock lock(e->mutex);
    start_locked(*e, lock);
    std::thread([this, e] { monitor(e); }).detach();
  };
  for (auto& e : to_start) {
    try {
      start_restored(e);
    } catch (const std::exception& ex) {
      // A container it links to may be on its way back (reattached, then restarted by its own
      // policy): tried again below.
      if (!e->c.links.empty()) {
        waiting_for_links.push_back(e);
        continue;
      }
      log::error("cannot restart container", {{"id", e->c.id}, {"error", ex.what()}});
    }
  }
  // As dockerd: up to 5 s for the containers it links to, then one more try.
  for (auto& e : waiting_for_links) {
    const Container c = [&] {
      std::lock_guard lock(e->mutex);
      return e->c;
    }();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!linked_containers_running(c) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    try {
      start_restored(e);
    } catch (const std::exception& ex) {
      log::error("cannot restart container", {{"id", e->c.id}, {"error", ex.what()}});
    }
  }
}

std::pair<std::vector<std::string>, int64_t> ContainerManager::prune(
    const std::function<bool(const Container&)>& match) {
  std::vector<std::string> deleted;
  int64_t reclaimed = 0;
  for (const auto& c : all()) {
    if (c.state.running() || !match(c)) continue;
    std::error_code ec;
    for (const auto& f : fs::recursive_directory_iterator(container_dir(c.id) + "/rw/upper", ec))
      if (f.is_regular_file(ec)) reclaimed += static_cast<int64_t>(f.file_size(ec));
    try {
      remove(c.id, false);
      deleted.push_back(c.id);
    } catch (const std::exception& ex) {
      log::warn("prune skipped a container", {{"id", c.id}, {"error", ex.what()}});
    }
  }
  // dockerd's event for the prune itself: no actor, the space reclaimed.
  Event pruned;
  pruned.type = "container";
  pruned.action = "prune";
  pruned.attributes = {{"reclaimed", std::to_string(reclaimed)}};
  events_.publish(std::move(pruned));
  return {deleted, reclaimed};
}

void ContainerManager::record_event(const std::string& ref, const std::string& action) {
  publish(get(ref), action);
}

}  // namespace berth::engine
