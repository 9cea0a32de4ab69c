#pragma once
// A container's filesystem from the outside: `docker cp` (archive HEAD/GET/PUT), `docker export`
// and `docker diff`. Paths are resolved inside the container's root (openat2 RESOLVE_IN_ROOT), so a
// symlink in the container can never lead the engine to the host's files.
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/images/image_store.hpp"

namespace berth::engine {

class ContainerManager;

class ContainerFilesystem {
 public:
  explicit ContainerFilesystem(ContainerManager& containers, ImageStore& images)
      : containers_(containers), images_(images) {}

  // The stat docker cp reads ({name, size, mode (Go FileMode bits), mtime, linkTarget}).
  // NotFound("Could not find the file <path> in container <ref>").
  nlohmann::json stat(const std::string& ref, const std::string& path);
  // Tar of `path` (file or directory) named by its base name; calls `on_stat` before any byte.
  void get_archive(const std::string& ref, const std::string& path,
                   const std::function<void(const nlohmann::json&)>& on_stat, const WriteFn& write);
  // Extracts a tar into the directory `path`.
  void put_archive(const std::string& ref, const std::string& path, bool no_overwrite_dir_non_dir,
                   const ReadFn& read);
  void export_rootfs(const std::string& ref, const WriteFn& write);
  // [{Path, Kind}] with Kind 0 modified, 1 added, 2 deleted.
  nlohmann::json changes(const std::string& ref);

 private:
  ContainerManager& containers_;
  ImageStore& images_;
};

}  // namespace berth::engine
