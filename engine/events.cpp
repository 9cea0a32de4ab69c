#include "engine/events.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/json.hpp"

namespace berth::engine {

nlohmann::json Event::to_json() const {
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : attributes) attrs[k] = v;
  nlohmann::json j = {{"Type", type},
                      {"Action", action},
                      {"Actor", {{"ID", id}, {"Attributes", attrs}}},
                      {"scope", scope},
                      {"time", time_nano / 1'000'000'000},
                      {"timeNano", time_nano}};
  // The pre-1.22 fields docker still prints for containers and images.
  if (type == "container" || type == "image") {
    j["status"] = action;
    j["id"] = id;
    if (auto it = attributes.find("image"); it != attributes.end()) j["from"] = it->second;
  }
  return j;
}

EventFilter EventFilter::parse(const std::string& filters_json) {
  EventFilter filter;
  filter.terms_ = parse_docker_filters(filters_json);
  return filter;
}

bool EventFilter::matches(const Event& e) const {
  auto any_of = [](const std::vector<std::string>& values, auto&& pred) {
    return std::any_of(values.begin(), values.end(), pred);
  };
  auto attr = [&](const char* name) {
    auto it = e.attributes.find(name);
    return it == e.attributes.end() ? std::string() : it->second;
  };
  for (const auto& [key, values] : terms_) {
    bool ok = true;
    if (key == "type") {
      ok = any_of(values, [&](const std::string& v) { return v == e.type; });
    } else if (key == "event" || key == "action") {
      ok = any_of(values, [&](const std::string& v) {
        return v == e.action ||
               e.action.starts_with(v + ":");  // "exec_start: sh" matches exec_start
      });
    } else if (key == "container" || key == "network" || key == "volume" || key == "daemon") {
      ok = e.type == key && any_of(values, [&](const std::string& v) {
             return v == e.id || v == attr("name") || (v.size() >= 3 && e.id.starts_with(v));
           });
    } else if (key == "image") {
      ok = any_of(values, [&](const std::string& v) {
        return v == attr("image") || (e.type == "image" && (v == e.id || v == attr("name")));
      });
    } else if (key == "label") {
      ok = any_of(values, [&](const std::string& v) {
        const auto eq = v.find('=');
        const auto it = e.attributes.find(v.substr(0, eq));
        if (it == e.attributes.end()) return false;
        return eq == std::string::npos || it->second == v.substr(eq + 1);
      });
    } else if (key == "scope") {
      ok = any_of(values, [&](const std::string& v) { return v == e.scope; });
    }
    if (!ok) return false;
  }
  return true;
}

EventBus::EventBus(size_t history_size) : history_size_(history_size) {}

void EventBus::publish(Event event) {
  if (event.time_nano == 0)
    event.time_nano = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::lock_guard lock(mutex_);
  history_.push_back(event);
  if (history_.size() > history_size_) history_.pop_front();
  for (Subscription* s : subscribers_) s->queue_.push_back(event);
  cv_.notify_all();
}

std::unique_ptr<EventBus::Subscription> EventBus::subscribe(std::optional<int64_t> history_since) {
  auto sub = std::unique_ptr<Subscription>(new Subscription());
  sub->bus_ = this;
  std::lock_guard lock(mutex_);
  if (history_since)
    for (const Event& e : history_)
      if (e.time_nano >= *history_since) sub->queue_.push_back(e);
  subscribers_.push_back(sub.get());
  return sub;
}

std::optional<Event> EventBus::Subscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(bus_->mutex_);
  if (!bus_->cv_.wait_for(lock, timeout, [this] { return !queue_.empty(); })) return std::nullopt;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

EventBus::Subscription::~Subscription() {
  std::lock_guard lock(bus_->mutex_);
  std::erase(bus_->subscribers_, this);
}

}  // namespace berth::engine
