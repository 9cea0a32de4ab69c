#pragma once
// Shared pieces of the image store tests: a temp dir that also unmounts what a test mounted in it,
// tar archives built member by member with libarchive (so a test can write exactly the hostile
// names the store must refuse), docker-archive images around them, and tar listings.
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/images/image_store.hpp"

namespace berth::test::images {

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();  // unmounts anything still mounted below, then removes the tree
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct Member {
  std::string name;
  char type = 'f';  // f file, d dir, l symlink, h hardlink, c char device (rdev 0/0 unless set)
  std::string data;
  std::string link;  // symlink / hardlink target
  mode_t mode = 0644;
  unsigned major = 0, minor = 0;
};

// A tar with exactly these members, in this order; gzip-compressed on request.
std::string make_tar(const std::vector<Member>& members, bool gzip = false);

// (name, type char, link target) for every member, in order.
struct Listed {
  std::string name;
  char type;
  std::string link;
  std::string data;
};
std::vector<Listed> list_tar(const std::string& tar_bytes);

std::string sha256_digest(const std::string& bytes);

struct ArchiveImage {
  std::string archive;  // the docker-archive tar
  std::string id;       // sha256:<config digest>
};
// A docker-archive (legacy <n>/layer.tar layout) with these layers. `diff_ids` overrides the
// digests the config claims (for mismatch tests); empty: the real ones.
ArchiveImage docker_archive(const std::vector<std::string>& layers, const std::string& tag,
                            std::vector<std::string> diff_ids = {});

std::filesystem::path busybox_tar();
std::string read_whole(const std::filesystem::path& path);
engine::ReadFn string_reader(std::string data);
engine::ReadFn file_reader(const std::filesystem::path& path);

// Every path below `dir` (relative), for "nothing else was written" checks.
std::vector<std::string> tree(const std::filesystem::path& dir);

}  // namespace berth::test::images
