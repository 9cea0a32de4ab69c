// `docker load`: the archive is spooled once, its manifests (docker-archive manifest.json or an
// OCI layout's index.json) are read, every layer is checked against the config's diff_ids, new
// chains are unpacked, and only then is anything added to the store.
#include <fcntl.h>
#include <unistd.h>

#include <set>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "engine/images/archive_io.hpp"
#include "engine/images/archive_spool.hpp"
#include "engine/images/digest.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/platform.hpp"
#include "engine/images/reference.hpp"
#include "engine/images/store_state.hpp"

namespace berth::engine {

namespace fs = std::filesystem;
using detail::Spool;

namespace {

struct PendingImage {
  std::string config_member;
  std::string config_digest;  // OCI: the digest the manifest names; empty for docker-archive
  std::vector<std::string> layer_members;
  std::vector<std::string> layer_digests;  // OCI: blob digests to verify
  std::vector<std::string> tags;           // full reference strings
};

nlohmann::json parse_member(const Spool& spool, const std::string& name) {
  try {
    return nlohmann::json::parse(spool.read_text(name));
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("invalid archive: " + name + " is not valid JSON: " + e.what());
  }
}

std::string parse_tag(const std::string& text, const std::string& where) {
  try {
    return Reference::parse(text).string();
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("invalid archive: " + where + " names \"" + text + "\": " + e.what());
  }
}

std::vector<PendingImage> read_docker_manifest(const Spool& spool) {
  const auto manifest = parse_member(spool, "manifest.json");
  if (!manifest.is_array()) throw InvalidArgument("invalid archive: manifest.json is not a list");
  std::vector<PendingImage> images;
  for (const auto& item : manifest) {
    PendingImage image;
    if (!item.is_object() || !item.contains("Config") || !item["Config"].is_string())
      throw InvalidArgument("invalid archive: a manifest.json entry has no Config");
    image.config_member = item["Config"].get<std::string>();
    if (auto tags = item.find("RepoTags"); tags != item.end() && tags->is_array())
      for (const auto& tag : *tags)
        if (tag.is_string())
          image.tags.push_back(parse_tag(tag.get<std::string>(), "manifest.json"));
    if (auto layers = item.find("Layers"); layers != item.end() && layers->is_array())
      for (const auto& layer : *layers)
        if (layer.is_string()) image.layer_members.push_back(layer.get<std::string>());
    images.push_back(std::move(image));
  }
  return images;
}

std::string blob_member(const nlohmann::json& descriptor) {
  const std::string digest = descriptor.value("digest", "");
  return "blobs/sha256/" + digest_hex(digest);
}

bool is_index_type(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// An OCI image index entry: a manifest, or an index whose entry for this platform is taken.
PendingImage read_oci_descriptor(const Spool& spool, nlohmann::json descriptor, int depth = 0) {
  if (depth > 4) throw InvalidArgument("invalid archive: image indexes nested too deeply");
  const std::string member = blob_member(descriptor);
  const auto document = parse_member(spool, member);
  const std::string media_type = descriptor.value("mediaType", document.value("mediaType", ""));
  if (is_index_type(media_type) || document.contains("manifests")) {
    for (const auto& entry : document.value("manifests", nlohmann::json::array())) {
      const auto platform = entry.value("platform", nlohmann::json::object());
      if (platform.value("os", "linux") == "linux" &&
          platform.value("architecture", host_architecture()) == host_architecture())
        return read_oci_descriptor(spool, entry, depth + 1);
    }
    throw InvalidArgument(std::string("invalid archive: no linux/") + host_architecture() +
                          " image in index " + member);
  }
  PendingImage image;
  const auto config = document.value("config", nlohmann::json::object());
  image.config_digest = config.value("digest", "");
  image.config_member = blob_member(config);
  for (const auto& layer : document.value("layers", nlohmann::json::array())) {
    image.layer_members.push_back(blob_member(layer));
    image.layer_digests.push_back(layer.value("digest", ""));
  }
  // The manifest blob itself must be what the index says.
  if (spool.file(member).digest != descriptor.value("digest", ""))
    throw InvalidArgument("invalid archive: " + member + " does not match its digest");
  return image;
}

std::vector<PendingImage> read_oci_index(const Spool& spool) {
  const auto index = parse_member(spool, "index.json");
  std::vector<PendingImage> images;
  for (const auto& descriptor : index.value("manifests", nlohmann::json::array())) {
    PendingImage image = read_oci_descriptor(spool, descriptor);
    const auto annotations = descriptor.value("annotations", nlohmann::json::object());
    std::string name = annotations.value("io.containerd.image.name", "");
    // ref.name is often only a tag ("latest"); it names an image only when it is a full reference.
    const std::string ref_name = annotations.value("org.opencontainers.image.ref.name", "");
    if (name.empty() && ref_name.find_first_of("/:@") != std::string::npos) name = ref_name;
    if (!name.empty()) image.tags.push_back(parse_tag(name, "index.json"));
    images.push_back(std::move(image));
  }
  return images;
}

}  // namespace

void ImageStore::load(const ReadFn& read,
                      const std::function<void(const std::string& loaded)>& on_loaded) {
  auto& state = *state_;
  detail::TempDir work(state.tmp_root(), "load");
  Spool spool(work.path() / "spool");
  spool.receive(read);

  std::vector<PendingImage> pending;
  if (spool.has("manifest.json")) {
    pending = read_docker_manifest(spool);
  } else if (spool.has("index.json")) {
    pending = read_oci_index(spool);
  } else {
    throw InvalidArgument(
        "invalid archive: no manifest.json or index.json (is it a `docker save` archive?)");
  }
  if (pending.empty()) throw InvalidArgument("invalid archive: it holds no images");

  // 1. Verify everything before storing anything.
  struct Verified {
    detail::ImageRecord record;
    std::string config_bytes;
    std::vector<std::pair<fs::path, std::string>> tars;
    std::vector<std::string> tags;
  };
  std::vector<Verified> verified;
  std::map<fs::path, std::pair<fs::path, std::string>> uncompressed;  // spool file -> (tar, diff)
  for (auto& image : pending) {
    Verified v;
    v.config_bytes = spool.read_text(image.config_member);
    const std::string id = "sha256:" + sha256_hex(v.config_bytes);
    if (!image.config_digest.empty() && image.config_digest != id)
      throw InvalidArgument("invalid archive: config " + image.config_member +
                            " does not match its digest");
    v.record = detail::record_from_config(id, v.config_bytes);
    if (v.record.diff_ids.size() != image.layer_members.size())
      throw InvalidArgument("invalid manifest, layers length mismatch: expected " +
                            std::to_string(v.record.diff_ids.size()) + ", got " +
                            std::to_string(image.layer_members.size()));
    for (size_t i = 0; i < image.layer_members.size(); ++i) {
      const auto& member = image.layer_members[i];
      const Spool::File& file = spool.file(member);
      if (i < image.layer_digests.size() && file.digest != image.layer_digests[i])
        throw InvalidArgument("invalid archive: " + member + " does not match its digest");
      auto it = uncompressed.find(file.path);
      if (it == uncompressed.end()) {
        std::pair<fs::path, std::string> tar{file.path, file.digest};
        if (looks_compressed(file.path)) {
          tar.first = file.path.string() + ".tar";
          UniqueFd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
          if (!fd) throw_errno("open " + file.path.string());
          tar.second = detail::write_uncompressed(
              [&fd](char* data, size_t size) -> size_t {
                ssize_t n;
                do {
                  n = ::read(fd.get(), data, size);
                } while (n < 0 && errno == EINTR);
                if (n < 0) throw_errno("read layer");
                return static_cast<size_t>(n);
              },
              tar.first, "layer " + member);
        }
        it = uncompressed.emplace(file.path, tar).first;
      }
      if (it->second.second != v.record.diff_ids[i])
        throw InvalidArgument("layer digest mismatch for " + member + ": its content is " +
                              it->second.second + " but the image config says " +
                              v.record.diff_ids[i]);
      v.tars.push_back(it->second);
    }
    v.tags = image.tags;
    verified.push_back(std::move(v));
  }

  // 2. Unpack the chains the store does not have yet, outside the lock.
  detail::LayerPins pins(state);
  std::map<std::string, detail::PreparedLayer> unpacked;
  std::vector<std::vector<detail::PreparedLayer>> layers;
  for (const auto& v : verified) {
    const auto missing = pins.pin(v.record.chain_ids);
    layers.push_back(detail::prepare_layers(v.tars, missing, work.path(), unpacked));
  }

  // 3. Store.
  std::vector<std::string> loaded;
  {
    std::lock_guard lock(state.mutex);
    for (size_t i = 0; i < verified.size(); ++i) {
      auto& v = verified[i];
      const std::string id = v.record.id;
      state.commit_image(std::move(v.record), v.config_bytes, layers[i]);
      for (const auto& tag : v.tags) {
        state.references[tag] = id;
        loaded.push_back(Reference::parse(tag).familiar_string());
      }
      if (v.tags.empty()) loaded.push_back(id);
    }
    state.save_references();
  }
  for (const auto& name : loaded) on_loaded(name);
}

}  // namespace berth::engine
