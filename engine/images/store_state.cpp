#include "engine/images/store_state.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/time_format.hpp"
#include "common/unique_fd.hpp"
#include "engine/images/digest.hpp"
#include "engine/images/layer_unpack.hpp"
#include "engine/images/reference.hpp"

namespace berth::engine::detail {

namespace fs = std::filesystem;

std::string short_id(std::string_view id) {
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

int64_t unix_seconds(std::string_view text) {
  if (text.empty()) return 0;
  try {
    return std::chrono::duration_cast<std::chrono::seconds>(parse_rfc3339(text).time_since_epoch())
        .count();
  } catch (const InvalidArgument&) {
    return 0;
  }
}

std::string now_rfc3339_nano() {
  return rfc3339_nano(std::chrono::system_clock::now());
}

TempDir::TempDir(const fs::path& tmp_root, const std::string& prefix) {
  ensure_directory(tmp_root.string(), 0700);
  std::string pattern = (tmp_root / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw_errno("mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec) log::warn("cannot remove a temporary directory", {{"path", path_.string()}});
}

ImageRecord record_from_config(const std::string& id, const std::string& config_bytes) {
  ImageRecord record;
  record.id = id;
  try {
    record.config = nlohmann::json::parse(config_bytes);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("image config " + id + " is not valid JSON: " + e.what());
  }
  if (!record.config.is_object()) throw InvalidArgument("image config " + id + " is not an object");
  const auto rootfs = record.config.find("rootfs");
  if (rootfs == record.config.end() || !rootfs->is_object())
    throw InvalidArgument("image config " + id + " has no rootfs");
  const auto diff_ids = rootfs->find("diff_ids");
  if (diff_ids != rootfs->end() && diff_ids->is_array()) {
    for (const auto& d : *diff_ids) {
      const std::string diff = d.is_string() ? d.get<std::string>() : "";
      if (!is_sha256_digest(diff))
        throw InvalidArgument("image config " + id + " has an invalid diff_id \"" + diff + "\"");
      record.diff_ids.push_back(diff);
      record.chain_ids.push_back(
          chain_id(record.chain_ids.empty() ? "" : record.chain_ids.back(), diff));
    }
  }
  if (auto created = record.config.find("created");
      created != record.config.end() && created->is_string())
    record.created_unix = unix_seconds(created->get<std::string>());
  return record;
}

ImageStoreState::ImageStoreState(fs::path store_root) : root(std::move(store_root)) {
  ensure_directory((root / "blobs" / "sha256").string(), 0700);
  ensure_directory((root / "layers").string(), 0700);
  ensure_directory((root / "imagedb").string(), 0700);
  // Leftovers of loads that a crash interrupted.
  std::error_code ec;
  fs::remove_all(tmp_root(), ec);
  ensure_directory(tmp_root().string(), 0700);
  load_from_disk();
}

fs::path ImageStoreState::blob_path(const std::string& digest) const {
  return root / "blobs" / "sha256" / digest_hex(digest);
}
fs::path ImageStoreState::layer_path(const std::string& chain) const {
  return root / "layers" / digest_hex(chain);
}
fs::path ImageStoreState::meta_path(const std::string& id) const {
  return root / "imagedb" / (digest_hex(id) + ".json");
}

void ImageStoreState::load_from_disk() {
  for (const auto& file : fs::directory_iterator(root / "imagedb")) {
    const std::string name = file.path().filename().string();
    if (!name.ends_with(".json")) continue;
    const std::string id = "sha256:" + name.substr(0, name.size() - 5);
    try {
      ImageRecord record = record_from_config(id, read_file(blob_path(id).string()));
      const auto meta = nlohmann::json::parse(read_file(file.path().string()));
      record.parent = meta.value("parent", "");
      record.last_tag_time = meta.value("last_tag_time", "");
      record.retained = meta.value("retained", false);
      for (const auto& chain : record.chain_ids) {
        if (layer_sizes.count(chain)) continue;
        layer_sizes[chain] = std::stoll(read_file((layer_path(chain) / "size").string()));
      }
      images.emplace(id, std::move(record));
    } catch (const std::exception& e) {
      log::warn("dropping an unreadable image from the store", {{"id", id}, {"error", e.what()}});
    }
  }
  const fs::path repositories = root / "repositories.json";
  if (!fs::exists(repositories)) return;
  try {
    const auto j = nlohmann::json::parse(read_file(repositories.string()));
    for (const auto& [repo, refs] : j.at("Repositories").items()) {
      for (const auto& [ref, id] : refs.items()) {
        const std::string image_id = id.get<std::string>();
        if (images.count(image_id)) references[Reference::parse(ref).string()] = image_id;
      }
    }
  } catch (const std::exception& e) {
    log::error("cannot read repositories.json; images keep their IDs but lose their tags",
               {{"error", e.what()}});
  }
}

const ImageRecord* ImageStoreState::find_id(std::string_view text) const {
  std::string_view hex = text;
  if (hex.starts_with("sha256:")) hex.remove_prefix(7);
  if (hex.empty()) return nullptr;
  const std::string key = "sha256:" + std::string(hex);
  if (hex.size() == 64) {
    auto it = images.find(key);
    return it == images.end() ? nullptr : &it->second;
  }
  const ImageRecord* found = nullptr;
  for (auto it = images.lower_bound(key); it != images.end() && it->first.starts_with(key); ++it) {
    if (it->second.retained) continue;
    if (found) return nullptr;  // ambiguous prefix
    found = &it->second;
  }
  return found;
}

const ImageRecord& ImageStoreState::resolve(std::string_view text) const {
  const bool hex_only = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (text.starts_with("sha256:") || (hex_only && text.size() == 64)) {
    if (const ImageRecord* r = find_id(text)) return *r;
    throw NotFound("No such image: " + std::string(text));
  }
  // Docker's order: a name first, then an ID prefix.
  const Reference ref = Reference::parse(text);
  if (auto it = references.find(ref.string()); it != references.end()) return images.at(it->second);
  if (hex_only)
    if (const ImageRecord* r = find_id(text)) return *r;
  throw NotFound("No such image: " + ref.familiar_string());
}

std::vector<std::string> ImageStoreState::references_to(const std::string& id) const {
  std::vector<std::string> out;
  for (const auto& [ref, target] : references)
    if (target == id) out.push_back(ref);
  return out;  // std::map order: sorted, as docker's lexicalRefs
}

Image ImageStoreState::make_image(const ImageRecord& record) const {
  Image image;
  image.id = record.id;
  image.config = record.config;
  image.diff_ids = record.diff_ids;
  image.chain_ids = record.chain_ids;
  image.parent = record.parent;
  image.created_unix = record.created_unix;
  for (const auto& chain : record.chain_ids)
    if (auto it = layer_sizes.find(chain); it != layer_sizes.end()) image.size += it->second;
  for (const auto& full : references_to(record.id)) {
    const Reference ref = Reference::parse(full);
    if (!ref.digest.empty()) {
      image.repo_digests.push_back(ref.familiar_name() + "@" + ref.digest);
    } else {
      image.repo_tags.push_back(ref.familiar_string());
    }
  }
  return image;
}

bool ImageStoreState::has_children(const std::string& id) const {
  return std::any_of(images.begin(), images.end(),
                     [&](const auto& entry) { return entry.second.parent == id; });
}

void ImageStoreState::save_references() const {
  nlohmann::json repos = nlohmann::json::object();
  for (const auto& [full, id] : references) {
    const Reference ref = Reference::parse(full);
    repos[ref.familiar_name()][ref.familiar_string()] = id;
  }
  write_file_atomic((root / "repositories.json").string(),
                    nlohmann::json{{"Repositories", repos}}.dump(), 0600);
}

void ImageStoreState::save_meta(const ImageRecord& record) const {
  nlohmann::json meta = {{"parent", record.parent}, {"last_tag_time", record.last_tag_time}};
  if (record.retained) meta["retained"] = true;
  write_file_atomic(meta_path(record.id).string(), meta.dump(), 0600);
}

void ImageStoreState::commit_image(ImageRecord record, const std::string& config_bytes,
                                   std::vector<PreparedLayer>& layers) {
  for (auto& layer : layers) {
    const fs::path blob = blob_path(layer.diff_id);
    if (!layer.tar.empty() && fs::exists(layer.tar) && !fs::exists(blob))
      fs::rename(layer.tar, blob);
    if (!layer.unpacked.empty() && fs::exists(layer.unpacked)) {
      const fs::path target = layer_path(layer.chain_id);
      if (!fs::exists(target)) fs::rename(layer.unpacked, target);
      layer_sizes[layer.chain_id] = layer.size;
    }
    if (!layer_sizes.count(layer.chain_id))
      throw Error("layer " + layer.chain_id + " vanished while image " + record.id +
                  " was being stored");
  }
  const fs::path config_blob = blob_path(record.id);
  if (!fs::exists(config_blob)) write_file_atomic(config_blob.string(), config_bytes, 0600);
  if (auto it = images.find(record.id); it != images.end()) {
    // Loaded or built again: a retained copy comes back into view.
    if ((it->second.parent.empty() && !record.parent.empty()) || it->second.retained) {
      if (it->second.parent.empty()) it->second.parent = record.parent;
      it->second.retained = false;
      save_meta(it->second);
    }
    return;
  }
  save_meta(record);
  images.emplace(record.id, std::move(record));
}

std::vector<std::pair<std::string, int64_t>> ImageStoreState::delete_image(
    const std::string& id, std::vector<fs::path>& trash) {
  const auto node = images.extract(id);
  if (node.empty()) return {};
  const ImageRecord& record = node.mapped();
  for (auto it = references.begin(); it != references.end();)
    it = it->second == id ? references.erase(it) : std::next(it);
  std::error_code ec;
  fs::remove(meta_path(id), ec);
  fs::remove(blob_path(id), ec);

  std::set<std::string> chains_in_use, diffs_in_use;
  for (const auto& [other_id, other] : images) {
    chains_in_use.insert(other.chain_ids.begin(), other.chain_ids.end());
    diffs_in_use.insert(other.diff_ids.begin(), other.diff_ids.end());
  }
  std::vector<std::pair<std::string, int64_t>> removed;
  for (size_t i = record.chain_ids.size(); i-- > 0;) {
    const std::string& chain = record.chain_ids[i];
    if (chains_in_use.count(chain) || pinned_layers.count(chain) || !layer_sizes.count(chain))
      continue;
    // A rename is instant; the slow recursive delete happens after the lock is released.
    static std::atomic<uint64_t> counter{0};
    const fs::path doomed =
        tmp_root() / ("deleted-" + std::to_string(++counter) + "-" + digest_hex(chain));
    fs::rename(layer_path(chain), doomed, ec);
    if (!ec) trash.push_back(doomed);
    removed.emplace_back(chain, layer_sizes[chain]);
    layer_sizes.erase(chain);
    if (!diffs_in_use.count(record.diff_ids[i])) fs::remove(blob_path(record.diff_ids[i]), ec);
  }
  return removed;
}

LayerPins::~LayerPins() {
  std::lock_guard lock(state_.mutex);
  for (const auto& chain : pinned_) state_.pinned_layers.erase(state_.pinned_layers.find(chain));
}

std::set<std::string> LayerPins::pin(const std::vector<std::string>& chain_ids) {
  std::lock_guard lock(state_.mutex);
  std::set<std::string> missing;
  for (const auto& chain : chain_ids) {
    state_.pinned_layers.insert(chain);
    pinned_.push_back(chain);
    if (!state_.layer_sizes.count(chain)) missing.insert(chain);
  }
  return missing;
}

}  // namespace berth::engine::detail
