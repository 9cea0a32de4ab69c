#pragma once
// The engine's event stream (GET /events): every lifecycle change of containers, images, networks
// and volumes is published here; subscribers get live events, and recent history for `since`.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace berth::engine {

struct Event {
  std::string type;    // container, image, network, volume, daemon
  std::string action;  // create, start, die, destroy, tag, untag, delete, load, ...
  std::string id;      // the object's ID (or reference for images)
  std::map<std::string, std::string> attributes;  // name, image, exitCode, ...
  std::string scope = "local";
  int64_t time_nano = 0;  // set by publish() when zero

  // The JSON docker clients read: status/id/from (old style) plus Type/Action/Actor.
  nlohmann::json to_json() const;
};

// Docker's event filters: type, event/action, container, image, label, network, volume, daemon.
// Values within one key are OR'ed, keys are AND'ed.
class EventFilter {
 public:
  EventFilter() = default;
  // Parses the `filters` query parameter ({"type":{"container":true}} or {"type":["container"]}).
  static EventFilter parse(const std::string& filters_json);
  bool matches(const Event& event) const;

 private:
  std::map<std::string, std::vector<std::string>> terms_;
};

class EventBus {
 public:
  explicit EventBus(size_t history_size = 1024);

  void publish(Event event);

  class Subscription {
   public:
    // Waits up to `timeout` for the next event; nullopt on timeout.
    std::optional<Event> next(std::chrono::milliseconds timeout);
    ~Subscription();

   private:
    friend class EventBus;
    EventBus* bus_ = nullptr;
    std::deque<Event> queue_;
  };
  // Registers a live subscriber; `history_since` (ns since epoch) replays retained events first.
  std::unique_ptr<Subscription> subscribe(std::optional<int64_t> history_since = std::nullopt);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Event> history_;
  size_t history_size_;
  std::vector<Subscription*> subscribers_;
};

}  // namespace berth::engine
