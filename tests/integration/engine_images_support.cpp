#include "engine_images_support.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "engine/images/digest.hpp"

namespace berth::test::images {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  std::string pattern = "/tmp/berth-imgtest-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw_errno("mkdtemp");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  // Deepest mount points first, from /proc/self/mounts.
  std::ifstream mounts("/proc/self/mounts");
  std::vector<std::string> points;
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string source, target;
    fields >> source >> target;
    if (target.starts_with(path_.string() + "/")) points.push_back(target);
  }
  std::sort(points.rbegin(), points.rend());
  for (const auto& p : points) ::umount2(p.c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string make_tar(const std::vector<Member>& members, bool gzip) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) {
    archive_write_add_filter_gzip(a);
  } else {
    archive_write_add_filter_none(a);
  }
  archive_write_set_bytes_per_block(a, 512);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* p, const void* data, size_t size) -> la_ssize_t {
        static_cast<std::string*>(p)->append(static_cast<const char*>(data), size);
        return static_cast<la_ssize_t>(size);
      },
      nullptr);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_perm(e, m.mode);
    archive_entry_set_mtime(e, 1700000000, 0);
    switch (m.type) {
      case 'd':
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case 'l':
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.link.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.link.c_str());
        break;
      case 'c':
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, makedev(m.major, m.minor));
        break;
      default:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    }
    if (archive_write_header(a, e) != ARCHIVE_OK)
      throw Error(std::string("test tar header: ") + archive_error_string(a));
    if (m.type == 'f' && !m.data.empty()) archive_write_data(a, m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::vector<Listed> list_tar(const std::string& tar_bytes) {
  std::vector<Listed> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_support_filter_all(a);
  if (archive_read_open_memory(a, tar_bytes.data(), tar_bytes.size()) != ARCHIVE_OK)
    throw Error("test: not a tar");
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Listed item;
    item.name = archive_entry_pathname(e);
    const auto type = archive_entry_filetype(e);
    item.type = archive_entry_hardlink(e) ? 'h'
                : type == AE_IFDIR        ? 'd'
                : type == AE_IFLNK        ? 'l'
                : type == AE_IFCHR        ? 'c'
                                          : 'f';
    if (archive_entry_hardlink(e)) item.link = archive_entry_hardlink(e);
    if (type == AE_IFLNK) item.link = archive_entry_symlink(e);
    char buffer[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buffer, sizeof buffer)) > 0) item.data.append(buffer, n);
    out.push_back(std::move(item));
  }
  archive_read_free(a);
  return out;
}

std::string sha256_digest(const std::string& bytes) {
  return "sha256:" + engine::sha256_hex(bytes);
}

ArchiveImage docker_archive(const std::vector<std::string>& layers, const std::string& tag,
                            std::vector<std::string> diff_ids) {
  if (diff_ids.empty())
    for (const auto& layer : layers) diff_ids.push_back(sha256_digest(layer));
  const nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "2024-01-02T03:04:05Z"},
      {"config", {{"Cmd", {"sh"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
      {"history", nlohmann::json::array({{{"created", "2024-01-02T03:04:05Z"}}})}};
  const std::string config_bytes = config.dump();
  const std::string hex = engine::sha256_hex(config_bytes);
  std::vector<Member> members;
  nlohmann::json layer_names = nlohmann::json::array();
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string dir = "layer" + std::to_string(i);
    members.push_back({.name = dir + "/", .type = 'd', .mode = 0755});
    members.push_back({.name = dir + "/layer.tar", .data = layers[i]});
    layer_names.push_back(dir + "/layer.tar");
  }
  members.push_back({.name = hex + ".json", .data = config_bytes});
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", hex + ".json"},
        {"RepoTags", tag.empty() ? nlohmann::json(nullptr) : nlohmann::json::array({tag})},
        {"Layers", layer_names}}});
  members.push_back({.name = "manifest.json", .data = manifest.dump()});
  return {make_tar(members), "sha256:" + hex};
}

fs::path busybox_tar() {
  return fs::path(BERTH_BUILD_DIR) / "images" / "busybox.tar";
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

engine::ReadFn string_reader(std::string data) {
  auto state = std::make_shared<std::pair<std::string, size_t>>(std::move(data), 0);
  return [state](char* out, size_t size) -> size_t {
    const size_t n = std::min(size, state->first.size() - state->second);
    std::copy_n(state->first.data() + state->second, n, out);
    state->second += n;
    return n;
  };
}

engine::ReadFn file_reader(const fs::path& path) {
  auto in = std::make_shared<std::ifstream>(path, std::ios::binary);
  if (!*in) throw Error("test: cannot open " + path.string());
  return [in](char* out, size_t size) -> size_t {
    in->read(out, static_cast<std::streamsize>(size));
    return static_cast<size_t>(in->gcount());
  };
}

std::vector<std::string> tree(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it)
    out.push_back(fs::relative(it->path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::test::images
