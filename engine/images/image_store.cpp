// Lookups and tags; load, save, import/commit and removal live in their own files.
#include "engine/images/image_store.hpp"

#include "common/error.hpp"
#include "engine/images/reference.hpp"
#include "engine/images/store_state.hpp"

namespace berth::engine {

ImageStore::ImageStore(std::filesystem::path root)
    : state_(std::make_unique<detail::ImageStoreState>(std::move(root))) {}

ImageStore::~ImageStore() = default;

Image ImageStore::get(std::string_view ref_or_id) const {
  std::lock_guard lock(state_->mutex);
  return state_->make_image(state_->resolve(ref_or_id));
}

std::vector<Image> ImageStore::list() const {
  std::lock_guard lock(state_->mutex);
  std::vector<Image> out;
  for (const auto& [id, record] : state_->images)
    if (!record.retained) out.push_back(state_->make_image(record));
  return out;
}

void ImageStore::tag(std::string_view source, std::string_view target) {
  const Reference ref = Reference::parse(target);
  if (!ref.digest.empty())
    throw InvalidArgument("refusing to create a tag with a digest reference");
  if (ref.familiar_name() == "sha256")
    throw InvalidArgument("refusing to create an ambiguous tag using digest algorithm as name");
  std::lock_guard lock(state_->mutex);
  const std::string id = state_->resolve(source).id;
  state_->references[ref.string()] = id;
  state_->save_references();
  auto& record = state_->images.at(id);
  record.last_tag_time = detail::now_rfc3339_nano();
  record.retained = false;
  state_->save_meta(record);
}

std::vector<std::filesystem::path> ImageStore::layer_dirs(const Image& image) const {
  std::vector<std::filesystem::path> dirs;
  for (auto it = image.chain_ids.rbegin(); it != image.chain_ids.rend(); ++it)
    dirs.push_back(state_->layer_path(*it) / "diff");
  return dirs;
}

std::vector<int64_t> ImageStore::layer_sizes(const Image& image) const {
  std::lock_guard lock(state_->mutex);
  std::vector<int64_t> sizes;
  for (const auto& chain : image.chain_ids) {
    auto it = state_->layer_sizes.find(chain);
    sizes.push_back(it == state_->layer_sizes.end() ? 0 : it->second);
  }
  return sizes;
}

std::string ImageStore::last_tag_time(const std::string& image_id) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->images.find(image_id);
  return it == state_->images.end() ? "" : it->second.last_tag_time;
}

// Docker's ImageHistory: config.history newest first; a non-empty entry takes the next layer's
// size; the image's own ID and tags go on its newest entry, its parents' on theirs.
nlohmann::json ImageStore::history(std::string_view ref_or_id) const {
  std::lock_guard lock(state_->mutex);
  const detail::ImageRecord& image = state_->resolve(ref_or_id);
  nlohmann::json items = nlohmann::json::array();
  const auto history = image.config.value("history", nlohmann::json::array());
  size_t layer = 0;
  for (const auto& h : history) {
    int64_t size = 0;
    if (!h.value("empty_layer", false)) {
      if (layer >= image.chain_ids.size())
        throw InvalidArgument("too many non-empty layers in History section");
      auto it = state_->layer_sizes.find(image.chain_ids[layer]);
      size = it == state_->layer_sizes.end() ? 0 : it->second;
      ++layer;
    }
    const int64_t created = detail::unix_seconds(h.value("created", ""));
    items.insert(items.begin(), nlohmann::json{{"Id", "<missing>"},
                                               {"Created", created},
                                               {"CreatedBy", h.value("created_by", "")},
                                               {"Tags", nullptr},
                                               {"Size", size},
                                               {"Comment", h.value("comment", "")}});
  }
  const detail::ImageRecord* current = &image;
  for (auto& item : items) {
    item["Id"] = current->id;
    nlohmann::json tags = nullptr;
    for (const auto& full : state_->references_to(current->id)) {
      const Reference ref = Reference::parse(full);
      if (ref.digest.empty()) tags.push_back(ref.familiar_string());
    }
    item["Tags"] = tags;
    if (current->parent.empty()) break;
    auto parent = state_->images.find(current->parent);
    if (parent == state_->images.end()) break;
    current = &parent->second;
  }
  return items;
}

}  // namespace berth::engine
