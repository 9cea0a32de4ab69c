#pragma once
// The first pass of `docker load`: the outer tar is read once, straight from the request body,
// and every regular member is written to a spool directory while its sha256 is computed. Later
// steps look members up by name (following the archive's own symlinks and hard links, which
// docker's legacy save uses for shared layers) without reading the stream again.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "engine/images/image_store.hpp"

namespace berth::engine::detail {

class Spool {
 public:
  struct File {
    std::filesystem::path path;
    std::string digest;  // sha256:<hex> of the member's bytes
    int64_t size = 0;
  };

  explicit Spool(std::filesystem::path dir) : dir_(std::move(dir)) {}

  void receive(const ReadFn& read);
  bool has(const std::string& name) const { return find(name) != nullptr; }
  // Throws InvalidArgument("invalid archive: <name> is missing") when there is no such member.
  const File& file(const std::string& name) const;
  // A small member (manifest, index, config) read into memory.
  std::string read_text(const std::string& name) const;

 private:
  const File* find(const std::string& name) const;

  std::filesystem::path dir_;
  std::map<std::string, File> files_;
  std::map<std::string, std::string> links_;  // symlink member -> target member name
  uint64_t counter_ = 0;
};

}  // namespace berth::engine::detail
