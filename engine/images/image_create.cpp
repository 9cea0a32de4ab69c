// Images made here rather than loaded: `docker import` (a rootfs tar becomes one layer) and
// `docker commit` (a container's overlay upper dir becomes a layer on top of its image).
#include <fcntl.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "engine/images/archive_io.hpp"
#include "engine/images/digest.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/platform.hpp"
#include "engine/images/reference.hpp"
#include "engine/images/store_state.hpp"
#include "engine/images/tree_tar.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

namespace {

// sha256 of 1024 zero bytes, the empty tar: docker records such a commit as an empty_layer.
constexpr std::string_view kEmptyLayer =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

std::optional<Reference> parse_target(const std::string& reference) {
  if (reference.empty()) return std::nullopt;
  Reference ref = Reference::parse(reference);
  if (!ref.digest.empty())
    throw InvalidArgument("refusing to create a tag with a digest reference");
  return ref;
}

// Stores a new image whose layers are `tars` (the last one new), under the lock at the end.
Image store_new_image(detail::ImageStoreState& state, const std::string& config_bytes,
                      const std::vector<std::pair<fs::path, std::string>>& tars,
                      const std::string& parent, const std::optional<Reference>& ref,
                      const fs::path& work_dir) {
  const std::string id = "sha256:" + sha256_hex(config_bytes);
  detail::ImageRecord record = detail::record_from_config(id, config_bytes);
  record.parent = parent;
  detail::LayerPins pins(state);
  const auto missing = pins.pin(record.chain_ids);
  std::map<std::string, detail::PreparedLayer> cache;
  auto layers = detail::prepare_layers(tars, missing, work_dir, cache);
  std::lock_guard lock(state.mutex);
  if (ref) record.last_tag_time = detail::now_rfc3339_nano();
  state.commit_image(std::move(record), config_bytes, layers);
  if (ref) {
    state.references[ref->string()] = id;
    state.save_references();
  }
  return state.make_image(state.images.at(id));
}

// The base image's layers, as (blob, diff ID) pairs: they exist already, so nothing is unpacked.
std::vector<std::pair<fs::path, std::string>> base_layers(const detail::ImageStoreState& state,
                                                          const Image& base) {
  std::vector<std::pair<fs::path, std::string>> tars;
  for (const auto& diff : base.diff_ids) tars.emplace_back(state.blob_path(diff), diff);
  return tars;
}

}  // namespace

Image ImageStore::import(const ReadFn& read, const nlohmann::json& config,
                         const std::string& reference, const std::string& comment) {
  const auto ref = parse_target(reference);
  detail::TempDir work(state_->tmp_root(), "import");
  const fs::path tar = work.path() / "layer.tar";
  const std::string diff = detail::write_uncompressed(read, tar, "the imported archive");

  const std::string created = detail::now_rfc3339_nano();
  nlohmann::json history = {{"created", created}};
  if (!comment.empty()) history["comment"] = comment;
  nlohmann::json image = {{"architecture", host_architecture()},
                          {"config", config.is_null() ? nlohmann::json::object() : config},
                          {"created", created},
                          {"history", nlohmann::json::array({history})},
                          {"os", "linux"},
                          {"rootfs", {{"type", "layers"}, {"diff_ids", {diff}}}}};
  if (!comment.empty()) image["comment"] = comment;
  return store_new_image(*state_, image.dump(), {{tar, diff}}, "", ref, work.path());
}

Image ImageStore::commit(const fs::path& upper_dir, const Image& base, nlohmann::json config,
                         const std::string& reference, const std::string& comment,
                         const std::string& author, const CommitSource& source) {
  const auto ref = parse_target(reference);
  detail::TempDir work(state_->tmp_root(), "commit");
  const fs::path tar = work.path() / "layer.tar";
  std::string diff;
  {
    UniqueFd fd(::open(tar.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + tar.string());
    Sha256 hash;
    TarWriter writer([&](std::string_view data) {
      hash.update(data);
      while (!data.empty()) {
        const ssize_t n = ::write(fd.get(), data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("write " + tar.string());
        data.remove_prefix(static_cast<size_t>(n));
      }
    });
    write_tree(writer, upper_dir, TreeTarOptions{.overlay_whiteouts = true});
    writer.finish();
    diff = "sha256:" + hash.hex();
  }
  const bool empty_layer = diff == kEmptyLayer;

  nlohmann::json image = base.config.is_object() ? base.config : nlohmann::json::object();
  const std::string created = detail::now_rfc3339_nano();
  // moby's NewChildImage: "created by" is the container's command; without a source container (a
  // caller with no container config) the new image's own.
  const nlohmann::json& command_config =
      source.container_config.is_object() ? source.container_config : config;
  std::string created_by;
  if (auto cmd = command_config.find("Cmd"); cmd != command_config.end() && cmd->is_array())
    for (const auto& part : *cmd)
      if (part.is_string()) created_by += (created_by.empty() ? "" : " ") + part.get<std::string>();
  nlohmann::json history = {{"created", created}};
  if (!author.empty()) history["author"] = author;
  if (!created_by.empty()) history["created_by"] = created_by;
  if (!comment.empty()) history["comment"] = comment;
  if (empty_layer) history["empty_layer"] = true;
  if (!image.contains("history") || !image["history"].is_array())
    image["history"] = nlohmann::json::array();
  image["history"].push_back(history);
  image["config"] = config.is_null() ? nlohmann::json::object() : std::move(config);
  image["created"] = created;
  image.erase("author");
  if (!author.empty()) image["author"] = author;
  image.erase("comment");
  image.erase("container");  // the base's build details, not this commit's
  image.erase("container_config");
  if (!source.container_id.empty()) image["container"] = source.container_id;
  if (source.container_config.is_object()) image["container_config"] = source.container_config;
  if (!image.contains("rootfs") || !image["rootfs"].is_object())
    image["rootfs"] = {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}};
  auto tars = base_layers(*state_, base);
  if (!empty_layer) {
    image["rootfs"]["diff_ids"].push_back(diff);
    tars.emplace_back(tar, diff);
  }
  return store_new_image(*state_, image.dump(), tars, base.id, ref, work.path());
}

}  // namespace berth::engine
