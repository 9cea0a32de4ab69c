// What flows between clients and a container: attach sessions, wait, and logs.
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/stdcopy.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/stream_pump.hpp"

using namespace std::chrono_literals;

namespace berth::engine {

// A client that attached before the container started: start() connects it to the shim before the
// process runs, so it sees every byte.
struct ContainerManager::PendingAttach {
  bool stdin = false, stdout = true, stderr = true;
  std::string detach_keys;  // bytes (detach_key_bytes)
  std::unique_ptr<Stream> shim_stream;
  std::string error;
};

void ContainerManager::fail_pending_attaches(Entry& e, const std::string& error) {
  for (auto& pending : e.pending) pending->error = error;
  e.pending.clear();
  e.changed.notify_all();
}

void ContainerManager::connect_pending_attach(Entry& e, PendingAttach& pending) {
  try {
    pending.shim_stream =
        e.shim->attach(pending.stdin, pending.stdout, pending.stderr, pending.detach_keys);
  } catch (const std::exception& ex) {
    pending.error = ex.what();
  }
}

void ContainerManager::attach(const std::string& ref, const std::function<Stream&()>& hijack,
                              bool stdin, bool stdout, bool stderr, bool logs, bool stream,
                              const std::string& detach_keys) {
  auto e = find(ref);
  std::string keys;
  {
    std::lock_guard lock(e->mutex);
    // As dockerd: detach keys are watched in TTY sessions only; a bad spec is refused (400) before
    // the connection is hijacked.
    if (e->c.tty()) keys = session_detach_keys(detach_keys);
    publish(e->c, "attach");
  }
  // The session is registered before the client hears "101": docker sends start right after it, and
  // a process that exits at once must still find its attached client (or every byte is lost).
  std::shared_ptr<PendingAttach> pending;
  std::unique_ptr<Stream> shim_stream;
  if (stream) {
    std::unique_lock lock(e->mutex);
    if ((e->c.state.status == "running" || e->c.state.status == "paused") && e->shim) {
      shim_stream = e->shim->attach(stdin, stdout, stderr, keys);
    } else {
      pending = std::make_shared<PendingAttach>();
      pending->stdin = stdin;
      pending->stdout = stdout;
      pending->stderr = stderr;
      pending->detach_keys = keys;
      e->pending.push_back(pending);
    }
  }
  auto forget_pending = [&] {
    if (!pending) return;
    std::lock_guard lock(e->mutex);
    std::erase(e->pending, pending);
  };
  Stream* client = nullptr;
  try {
    client = &hijack();
  } catch (...) {
    forget_pending();
    throw;
  }
  if (logs) {
    LogReadOptions options;
    options.stdout = stdout;
    options.stderr = stderr;
    const bool tty = get(ref).tty();
    this->logs(
        ref, options,
        [&](std::string_view name, std::string_view text) {
          if (tty) {
            client->write_all(text);
            return;
          }
          client->write_all(
              encode_frame(name == "stderr" ? StreamType::Stderr : StreamType::Stdout, text));
        },
        [] { return true; });
  }
  if (!stream) return;
  if (pending) {
    std::unique_lock lock(e->mutex);
    while (!pending->shim_stream && pending->error.empty() && !e->removed) {
      // No check on the client here: docker half-closes an attach it sends no stdin on, which
      // looks exactly like a client that left. The session ends with the container instead.
      e->changed.wait_for(lock, 1s);
      if (shutting_down_ || sessions_closing_) {
        std::erase(e->pending, pending);
        return;
      }
    }
    if (!pending->error.empty()) throw Error("cannot attach: " + pending->error);
    if (!pending->shim_stream) return;  // removed before it ever started
    shim_stream = std::move(pending->shim_stream);
  }
  pump_streams(*client, *shim_stream, stdin);
}

ContainerManager::WaitResult ContainerManager::wait(const std::string& ref,
                                                    const std::string& condition,
                                                    const std::function<void()>& registered,
                                                    const std::function<bool()>& cancelled) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  // As dockerd: a condition it does not know means the default one.
  const std::string cond =
      condition == "next-exit" || condition == "removed" ? condition : "not-running";
  // A start failure was already reported by the start request itself; repeating it in the wait
  // answer would make the CLI print it twice.
  auto result = [&] {
    return WaitResult{e->c.state.exit_code, e->c.has_been_started ? e->c.state.error : ""};
  };
  if (cond == "not-running" && !e->c.state.running()) {
    const WaitResult now = result();
    lock.unlock();
    registered();
    return now;
  }
  const uint64_t exits = e->exits;
  // The client hears of the wait only now, with the count taken; not under the lock, which the
  // exit needs.
  lock.unlock();
  registered();
  lock.lock();
  for (;;) {
    if (cond == "removed" ? e->removed : (e->exits > exits || e->removed)) return result();
    e->changed.wait_for(lock, 500ms);
    if (cancelled()) throw Error("client went away while waiting");
  }
}

void ContainerManager::logs(const std::string& ref, LogReadOptions options,
                            const std::function<void(std::string_view, std::string_view)>& emit,
                            const std::function<bool()>& cancelled) {
  auto e = find(ref);
  std::string path;
  {
    std::lock_guard lock(e->mutex);
    path = log_path(e->c.id);
  }
  read_json_log(path, options, emit, [&] {
    if (cancelled()) return false;
    std::lock_guard lock(e->mutex);
    return !e->removed && e->c.state.running();
  });
}

}  // namespace berth::engine
