#pragma once
// The engine's image store under <data-root>/image: content-addressed blobs, layers unpacked once
// per chain ID, and the reference table (repositories.json). Thread-safe.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::engine {

namespace detail {
struct ImageStoreState;
}

// Reads up to `size` bytes of an incoming stream (an HTTP request body); 0 at the end.
using ReadFn = std::function<size_t(char* data, size_t size)>;
// Writes bytes to an outgoing stream (an HTTP response body).
using WriteFn = std::function<void(std::string_view data)>;

// A container using an image, for `docker rmi`'s conflicts: a running container's image cannot be
// deleted even by force, a stopped one's only by force. `running` is unset when the caller cannot
// tell (then the conflict is a soft one naming just "container <id>").
struct ImageUser {
  std::string container_id;
  std::optional<bool> running;
};
using ImageUsersFn = std::function<std::vector<ImageUser>(const std::string& image_id)>;

struct Image {
  std::string id;  // "sha256:<hex>", the digest of the config blob
  // The OCI image config as stored (architecture, os, config, rootfs, history).
  nlohmann::json config;
  std::vector<std::string> repo_tags;     // familiar form: "busybox:latest"
  std::vector<std::string> repo_digests;  // "busybox@sha256:…"
  std::vector<std::string> diff_ids;      // uncompressed layer digests, base first
  std::vector<std::string> chain_ids;     // per layer, base first
  int64_t size = 0;                       // sum of unpacked layer sizes in bytes
  int64_t created_unix = 0;               // config.created, seconds
  std::string parent;                     // "" unless built/committed locally on top of another
};

class ImageStore {
 public:
  explicit ImageStore(std::filesystem::path root);
  ~ImageStore();
  ImageStore(const ImageStore&) = delete;
  ImageStore& operator=(const ImageStore&) = delete;

  // By ID (full, "sha256:"-prefixed or a unique hex prefix), by reference (normalised), or by
  // digest reference. Throws NotFound("No such image: <text>").
  Image get(std::string_view ref_or_id) const;
  std::vector<Image> list() const;

  // `docker load`: docker-archive (manifest.json) or OCI layout (index.json) tar, streamed. Layers
  // are verified against their digests and unpacked once; `on_loaded` gets "busybox:latest" (or the
  // ID for untagged images) per image. A bad archive throws InvalidArgument and leaves nothing half
  // stored.
  void load(const ReadFn& read, const std::function<void(const std::string& loaded)>& on_loaded);
  // `docker save`: a docker-archive tar with every named image (names or IDs), streamed.
  void save(const std::vector<std::string>& refs_or_ids, const WriteFn& write) const;
  // `docker import`: a rootfs tar becomes a one-layer image; `config` holds the container config
  // part (Cmd, Env, ... from --change), `reference` an optional tag.
  Image import(const ReadFn& read, const nlohmann::json& config, const std::string& reference,
               const std::string& comment);
  // The container a commit comes from: its ID and its own config, whose Cmd docker records as the
  // new layer's "created by" (not the committed image's Cmd).
  struct CommitSource {
    std::string container_id;
    nlohmann::json container_config;
  };
  // A new image from a container's upper dir (overlay diff, whiteouts as OCI): `docker commit`.
  Image commit(const std::filesystem::path& upper_dir, const Image& base, nlohmann::json config,
               const std::string& reference, const std::string& comment, const std::string& author,
               const CommitSource& source = {});

  void tag(std::string_view source, std::string_view target);
  // `docker rmi`: returns docker's answer items ({"Untagged": "busybox:latest"} / {"Deleted": id}).
  // `in_use(image_id)` says whether a container uses the image: without force that is a Conflict
  // ("conflict: unable to remove repository reference … container … is using its referenced
  // image").
  std::vector<nlohmann::json> remove(std::string_view ref_or_id, bool force, bool prune_children,
                                     const std::function<bool(const std::string&)>& in_use);
  // remove() naming the container in conflict messages, as docker does: `containers_using(id)`
  // lists the containers of an image. Forced, an image in use leaves the lists and names as in
  // docker but stays findable by full ID, with its layers (the containers' lower dirs), until a
  // later remove/prune sees no container using it.
  std::vector<nlohmann::json> remove_used_by(
      std::string_view ref_or_id, bool force, bool prune_children,
      const std::function<std::vector<std::string>(const std::string&)>& containers_using);
  // remove_used_by() knowing which containers run (docker's "cannot be forced ... running
  // container" and "must be forced ... stopped container" conflicts).
  std::vector<nlohmann::json> remove_used_by(std::string_view ref_or_id, bool force,
                                             bool prune_children, const ImageUsersFn& users);
  // `docker image prune` (dangling only, or all unused with all=true): returns the deleted items
  // and the bytes reclaimed.
  std::pair<std::vector<nlohmann::json>, int64_t> prune(
      bool all, const std::function<bool(const std::string&)>& in_use);
  // prune() limited to the images `matches` accepts (the until / label filters).
  std::pair<std::vector<nlohmann::json>, int64_t> prune(
      bool all, const std::function<bool(const std::string&)>& in_use,
      const std::function<bool(const Image&)>& matches);

  // Deletes the images force-removed while in use that `in_use` now says no container uses (the
  // container manager can call it after removing a container; remove and prune do it as well).
  void collect_retained(const std::function<bool(const std::string&)>& in_use);

  // Overlay lower dirs for a container of this image, topmost layer first (overlayfs order).
  std::vector<std::filesystem::path> layer_dirs(const Image& image) const;
  // `docker history` items, newest first.
  nlohmann::json history(std::string_view ref_or_id) const;

  // Unpacked size of each layer of the image, base first (for SharedSize).
  std::vector<int64_t> layer_sizes(const Image& image) const;
  // When the image was last tagged here (RFC3339Nano), "" if never.
  std::string last_tag_time(const std::string& image_id) const;

 private:
  std::unique_ptr<detail::ImageStoreState> state_;
};

}  // namespace berth::engine
