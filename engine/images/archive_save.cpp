// `docker save`: the layout docker 25+ writes (an OCI image layout whose blobs are the exact config
// and uncompressed layer tars, plus manifest.json and repositories), which docker 28 and docker
// 20.10 both load: 20.10 follows manifest.json's paths, newer tools read index.json.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <set>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "engine/images/archive_io.hpp"
#include "engine/images/digest.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/reference.hpp"
#include "engine/images/store_state.hpp"

namespace berth::engine {

namespace {

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";

struct SavedImage {
  detail::ImageRecord record;
  std::string config_bytes;
  std::vector<std::string> tags;  // full references
};

bool name_only(std::string_view text) {
  const size_t slash = text.rfind('/');
  const size_t colon = text.rfind(':');
  const bool has_tag =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  return !has_tag && text.find('@') == std::string_view::npos;
}

void write_blob_from_fd(TarWriter& tar, const std::string& name, int fd, time_t mtime) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("stat " + name);
  EntryPtr entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), st.st_size);
  archive_entry_set_mtime(entry.get(), mtime, 0);
  tar.write_header(entry.get());
  std::string buffer(256 * 1024, '\0');
  off_t left = st.st_size;
  while (left > 0) {
    const ssize_t n =
        ::read(fd, buffer.data(), std::min<size_t>(buffer.size(), static_cast<size_t>(left)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + name);
    if (n == 0) throw Error("layer blob " + name + " shrank while being saved");
    tar.write_data(std::string_view(buffer.data(), static_cast<size_t>(n)));
    left -= n;
  }
}

}  // namespace

void ImageStore::save(const std::vector<std::string>& refs_or_ids, const WriteFn& write) const {
  if (refs_or_ids.empty()) throw InvalidArgument("no images to save");
  std::vector<SavedImage> images;
  std::map<std::string, UniqueFd> layer_fds;  // diff ID -> open blob
  {
    // Resolve everything and open every blob first: a missing name fails before any byte is
    // written, and a concurrent rmi cannot pull a blob out from under the stream.
    std::lock_guard lock(state_->mutex);
    auto add = [&](const detail::ImageRecord& record, const std::string& tag) {
      auto it = std::find_if(images.begin(), images.end(),
                             [&](const SavedImage& s) { return s.record.id == record.id; });
      if (it == images.end()) {
        images.push_back({record, read_file(state_->blob_path(record.id).string()), {}});
        it = images.end() - 1;
      }
      if (!tag.empty() && std::find(it->tags.begin(), it->tags.end(), tag) == it->tags.end())
        it->tags.push_back(tag);
    };
    for (const auto& text : refs_or_ids) {
      std::optional<Reference> ref;
      const bool hex64 = text.size() == 64 && Reference::looks_like_id(text);
      if (!text.starts_with("sha256:") && !hex64) ref = Reference::parse(text);
      if (ref && name_only(text)) {
        // A bare repository name saves every tag of it (docker's IsNameOnly rule).
        bool any = false;
        for (const auto& [full, id] : state_->references) {
          const Reference other = Reference::parse(full);
          if (other.name() == ref->name() && other.digest.empty()) {
            add(state_->images.at(id), full);
            any = true;
          }
        }
        if (any) continue;
      }
      const detail::ImageRecord* found = nullptr;
      try {
        found = &state_->resolve(text);
      } catch (const NotFound&) {
        // dockerd names the repository as given: "No such image: nosuch", not "nosuch:latest".
        if (ref && name_only(text)) throw NotFound("No such image: " + text);
        throw;
      }
      const detail::ImageRecord& record = *found;
      const bool by_name =
          ref && ref->digest.empty() && state_->references.count(ref->string()) != 0;
      add(record, by_name ? ref->string() : "");
    }
    for (const auto& image : images)
      for (const auto& diff : image.record.diff_ids) {
        if (layer_fds.count(diff)) continue;
        const auto path = state_->blob_path(diff);
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("open layer " + diff);
        layer_fds.emplace(diff, std::move(fd));
      }
  }

  TarWriter tar(write);
  time_t newest = 0;
  for (const auto& image : images) newest = std::max<time_t>(newest, image.record.created_unix);
  tar.add_directory("blobs/", newest);
  tar.add_directory("blobs/sha256/", newest);
  std::set<std::string> written;
  nlohmann::json manifest = nlohmann::json::array();
  nlohmann::json index_manifests = nlohmann::json::array();
  nlohmann::json repositories = nlohmann::json::object();
  for (const auto& image : images) {
    const time_t mtime = image.record.created_unix;
    nlohmann::json layers = nlohmann::json::array();
    nlohmann::json layer_paths = nlohmann::json::array();
    for (const auto& diff : image.record.diff_ids) {
      const std::string name = "blobs/sha256/" + digest_hex(diff);
      struct stat st {};
      ::fstat(layer_fds.at(diff).get(), &st);
      layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                        {"digest", diff},
                        {"size", st.st_size}});
      layer_paths.push_back(name);
      if (!written.insert(diff).second) continue;
      ::lseek(layer_fds.at(diff).get(), 0, SEEK_SET);
      write_blob_from_fd(tar, name, layer_fds.at(diff).get(), mtime);
    }
    const std::string config_name = "blobs/sha256/" + digest_hex(image.record.id);
    if (written.insert(image.record.id).second)
      tar.add_file(config_name, image.config_bytes, 0644, mtime);
    const std::string oci_manifest = nlohmann::json{
        {"schemaVersion", 2},
        {"mediaType", kManifestType},
        {"config",
         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", image.record.id},
          {"size", image.config_bytes.size()}}},
        {"layers", layers}}.dump();
    const std::string manifest_digest = "sha256:" + sha256_hex(oci_manifest);
    if (written.insert(manifest_digest).second)
      tar.add_file("blobs/sha256/" + digest_hex(manifest_digest), oci_manifest, 0644, mtime);

    nlohmann::json repo_tags = nullptr;
    const nlohmann::json descriptor = {
        {"mediaType", kManifestType}, {"digest", manifest_digest}, {"size", oci_manifest.size()}};
    for (const auto& full : image.tags) {
      const Reference ref = Reference::parse(full);
      repo_tags.push_back(ref.familiar_string());
      nlohmann::json tagged = descriptor;
      tagged["annotations"] = {{"io.containerd.image.name", ref.string()},
                               {"org.opencontainers.image.ref.name", ref.tag}};
      index_manifests.push_back(tagged);
      if (!image.record.diff_ids.empty())
        repositories[ref.familiar_name()][ref.tag] = digest_hex(image.record.diff_ids.back());
    }
    if (image.tags.empty()) index_manifests.push_back(descriptor);
    manifest.push_back({{"Config", config_name}, {"RepoTags", repo_tags}, {"Layers", layer_paths}});
  }
  tar.add_file("index.json",
               nlohmann::json{{"schemaVersion", 2},
                              {"mediaType", "application/vnd.oci.image.index.v1+json"},
                              {"manifests", index_manifests}}
                       .dump() +
                   "\n",
               0644, newest);
  tar.add_file("manifest.json", manifest.dump() + "\n", 0644, newest);
  tar.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0644, newest);
  if (!repositories.empty()) tar.add_file("repositories", repositories.dump() + "\n", 0644, newest);
  tar.finish();
}

}  // namespace berth::engine
