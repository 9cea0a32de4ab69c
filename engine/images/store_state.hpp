#pragma once
// ImageStore's internals, shared by the .cpp files that implement it (image_store, load, save,
// import/commit, remove). Not for use outside engine/images.
//
// On disk, under the store root:
//   blobs/sha256/<hex>          config blobs and uncompressed layer tars (kept so save is exact)
//   layers/<chain-hex>/         diff/ (the unpacked layer), diff_id, parent, size
//   imagedb/<id-hex>.json       per image: {"parent", "last_tag_time", "retained"}; presence =
//   image repositories.json           docker's format: {"Repositories": {name: {reference: id}}}
//   tmp/                        spools and half-built layers; emptied at start-up
// Every metadata file is written atomically, and in an order that leaves the store consistent
// after a crash: blobs and layers first, imagedb next, references last.
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/images/image_store.hpp"

namespace berth::engine::detail {

struct ImageRecord {
  std::string id;  // sha256:<hex>
  nlohmann::json config;
  std::vector<std::string> diff_ids, chain_ids;
  std::string parent;
  std::string last_tag_time;  // RFC3339Nano, empty when never tagged here
  int64_t created_unix = 0;
  // Force-removed while containers still use it: gone from lists and names, found only by full ID
  // (the containers' lookups), and deleted for real once no container uses it.
  bool retained = false;
};

// A layer made ready outside the lock: its uncompressed tar and, unless the store already had the
// chain, the unpacked directory (diff/, diff_id, parent, size) waiting to be renamed into place.
struct PreparedLayer {
  std::string diff_id, chain_id;
  std::filesystem::path tar;
  std::filesystem::path unpacked;  // empty: the layer exists already
  int64_t size = 0;
};

// A directory under <root>/tmp removed with everything in it when the owner goes away.
class TempDir {
 public:
  TempDir(const std::filesystem::path& tmp_root, const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct ImageStoreState {
  explicit ImageStoreState(std::filesystem::path store_root);

  std::filesystem::path root;
  mutable std::mutex mutex;
  std::map<std::string, ImageRecord> images;      // by ID
  std::map<std::string, std::string> references;  // full reference string -> ID
  std::map<std::string, int64_t> layer_sizes;     // chain ID -> unpacked size
  std::multiset<std::string> pinned_layers;       // chains an unfinished load/import relies on

  std::filesystem::path blob_path(const std::string& digest) const;
  std::filesystem::path layer_path(const std::string& chain_id) const;
  std::filesystem::path meta_path(const std::string& id) const;
  std::filesystem::path tmp_root() const { return root / "tmp"; }

  // --- callers hold `mutex` ---
  const ImageRecord& resolve(std::string_view ref_or_id) const;
  // A full ID finds retained images too; a prefix only listed ones, and only when unique.
  const ImageRecord* find_id(std::string_view id_or_prefix) const;
  std::vector<std::string> references_to(const std::string& id) const;  // sorted, full form
  Image make_image(const ImageRecord& record) const;
  bool has_children(const std::string& id) const;
  void save_references() const;
  void save_meta(const ImageRecord& record) const;
  // Moves prepared blobs and layers into place and records the image (if new).
  void commit_image(ImageRecord record, const std::string& config_bytes,
                    std::vector<PreparedLayer>& layers);
  // Forgets the image and deletes its config, meta and the layers no other image uses; the layer
  // directories are renamed into `trash` (removed by the caller after unlocking). Returns the
  // removed chain IDs with their sizes.
  std::vector<std::pair<std::string, int64_t>> delete_image(
      const std::string& id, std::vector<std::filesystem::path>& trash);

 private:
  void load_from_disk();
};

// Parses an image config and fills diff_ids, chain_ids and created_unix. Throws InvalidArgument.
ImageRecord record_from_config(const std::string& id, const std::string& config_bytes);

// Keeps chains from being deleted while a load, import or commit that counts on them runs.
class LayerPins {
 public:
  LayerPins(ImageStoreState& state) : state_(state) {}
  ~LayerPins();
  // Pins under the lock; returns the chains that are not in the store yet.
  std::set<std::string> pin(const std::vector<std::string>& chain_ids);

 private:
  ImageStoreState& state_;
  std::vector<std::string> pinned_;
};

// Outside the lock: turns (tar, diff_id) pairs of one image into prepared layers, unpacking the
// chains in `missing` (each once, even when an archive repeats it) under `work_dir`.
std::vector<PreparedLayer> prepare_layers(
    const std::vector<std::pair<std::filesystem::path, std::string>>& tars,
    const std::set<std::string>& missing, const std::filesystem::path& work_dir,
    std::map<std::string, PreparedLayer>& unpacked_cache);

// Writes `read`'s bytes (decompressed when gzip/zstd/...) to `out` and returns "sha256:<hex>" of
// the uncompressed bytes.
std::string write_uncompressed(const ReadFn& read, const std::filesystem::path& out,
                               const std::string& what);

// An RFC3339 time as Unix seconds; 0 for empty or unparsable text (an odd date in a config must
// not make the image unusable).
int64_t unix_seconds(std::string_view rfc3339);
std::string short_id(std::string_view id);  // "sha256:abcdef..." -> 12 hex digits
std::string now_rfc3339_nano();

}  // namespace berth::engine::detail
