#pragma once
// The JSON shapes docker clients read for containers: `docker inspect` and `docker ps` rows, and
// ps's filters.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/containers/container.hpp"

namespace berth::engine {

class ContainerManager;
class ImageStore;

nlohmann::json inspect_json(const Container& c, const ContainerManager& manager);
// What a client of an older API version gets: fields it still has (KernelMemory before 1.42),
// and none from later ones (DNSNames from 1.44, GwPriority from 1.48). `api_version` is 141 for
// 1.41.
void adapt_inspect_to_api(nlohmann::json& inspect, int api_version);
// What a `docker ps` row shows that the record alone does not tell.
struct SummaryExtras {
  const std::vector<std::string>* link_names = nullptr;  // as a linked container: "/web/db"
  // The image as the row names it when the record's reference no longer names the container's
  // image (removed or retagged): its ID, as dockerd shows it.
  const std::string* image = nullptr;
  // The client's API version (150 for 1.50): the endpoint fields later versions added are left
  // out for older clients, as in inspect (adapt_inspect_to_api).
  int api_version = 150;
  // By network name, the endpoint a started container shows while not attached to it (stopped,
  // host, none): detached_endpoint_texts(), made once per request.
  const std::map<std::string, std::string>* detached_endpoints = nullptr;
};
// The JSON text of a detached endpoint on each built-in network (bridge, host, none), with its
// network's ID, for a client of `api_version`.
std::map<std::string, std::string> detached_endpoint_texts(const ContainerManager& manager,
                                                           int api_version);
// A `docker ps` row appended to `out` as JSON text; SizeRw and SizeRootFs when `size_rw` is given.
void append_summary_json(std::string& out, const Container& c, std::optional<int64_t> size_rw,
                         std::optional<int64_t> size_root_fs = std::nullopt,
                         const SummaryExtras& extras = {});
// The size of the container's writable layer (a walk of its files: not for under a lock).
int64_t container_size_rw(const Container& c, const ContainerManager& manager);
// docker's SizeRw and SizeRootFs: the container's own changes, and those plus its image.
std::pair<int64_t, int64_t> container_sizes(const Container& c, const ContainerManager& manager,
                                            const ImageStore& images);
// A ps row with both sizes, as `docker system df` lists containers.
nlohmann::json summary_json(const Container& c, const ContainerManager& manager,
                            const ImageStore& images, int api_version);

// `docker ps --filter`: status, name, label, id, ancestor, exited, before, since, network.
// Everything that needs a lookup (names as patterns, images, other containers) is resolved once,
// before matching, which runs under each container's lock.
class ContainerFilter {
 public:
  static ContainerFilter parse(const std::string& filters_json);
  // `container prune`'s filters: until (a time or duration before `now`), label, label!.
  static ContainerFilter parse_for_prune(const std::string& filters_json,
                                         std::chrono::system_clock::time_point now);
  // before= and since= name containers: `created_of(ref)` gives a container's creation time
  // (RFC 3339), throwing NotFound for an unknown one, as dockerd answers.
  void resolve_references(const std::function<std::string(const std::string&)>& created_of);
  // ancestor= names images: `resolve_image(ref)` gives an image ID, or "" for an unknown image.
  void resolve_images(const std::function<std::string(const std::string&)>& resolve_image);
  bool matches(const Container& c) const;
  bool has(const std::string& key) const { return terms_.contains(key); }
  const std::vector<std::string>& values(const std::string& key) const;

 private:
  struct PortSets {
    std::set<std::string> exposed, published;
  };
  static PortSets port_sets(const Container& c);

  std::map<std::string, std::vector<std::string>> terms_;
  std::set<std::string> publish_, expose_;  // "8080/tcp"
  std::vector<int64_t> exited_codes_;       // exited= values
  std::optional<bool> is_task_;             // is-task=, when given
  std::optional<std::chrono::system_clock::time_point> until_;
  std::optional<std::chrono::system_clock::time_point> before_, since_;
  std::vector<std::string> ancestor_ids_;                 // per ancestor= value, "" if unknown
  std::vector<std::optional<std::regex>> name_patterns_;  // per name= value; none: not a regex
};

}  // namespace berth::engine
