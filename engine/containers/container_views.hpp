#pragma once
// The JSON shapes docker clients read for containers: `docker inspect` and `docker ps` rows, and
// ps's filters.
#include <map>
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
  bool matches(const Container& c,
               const std::function<std::string(const std::string&)>& resolve_image) const;
  bool has(const std::string& key) const { return terms_.contains(key); }
  const std::vector<std::string>& values(const std::string& key) const;

 private:
  std::map<std::string, std::vector<std::string>> terms_;
};

}  // namespace berth::engine
