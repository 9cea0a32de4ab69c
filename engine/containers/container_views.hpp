#pragma once
// The JSON shapes docker clients read for containers: `docker inspect` and `docker ps` rows, and
// ps's filters.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/containers/container.hpp"

namespace berth::engine {

class ContainerManager;

nlohmann::json inspect_json(const Container& c, const ContainerManager& manager);
nlohmann::json summary_json(const Container& c, bool with_size, const ContainerManager& manager);

// `docker ps --filter`: status, name, label, id, ancestor, exited, before, since, network.
class ContainerFilter {
 public:
  // `resolve_image(ref)` → image ID or "" (for ancestor=busybox).
  static ContainerFilter parse(const std::string& filters_json);
  // before= and since= name containers: `created_of(ref)` gives a container's creation time
  // (RFC 3339), throwing NotFound for an unknown one, as dockerd answers.
  void resolve_references(const std::function<std::string(const std::string&)>& created_of);
  bool matches(const Container& c,
               const std::function<std::string(const std::string&)>& resolve_image) const;
  bool has(const std::string& key) const { return terms_.contains(key); }
  const std::vector<std::string>& values(const std::string& key) const;

 private:
  std::map<std::string, std::vector<std::string>> terms_;
  std::optional<std::chrono::system_clock::time_point> before_, since_;
};

}  // namespace berth::engine
