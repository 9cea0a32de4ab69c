#pragma once
// The build context docker sends with `docker build`: the context directory as a tar, walked in
// lexical order, .dockerignore applied (the Dockerfile and .dockerignore always kept), owners 0:0,
// permission bits kept, symlinks stored as links (never followed, so nothing outside the context
// is read), names relative to the context (no "..", no leading '/'). The tar is produced while it
// is sent, so a large context is never held in memory.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/client/dockerignore.hpp"

namespace berth::cli::client {

struct ContextEntry {
  std::string name;         // inside the tar ("dir/", "dir/file")
  std::string source;       // on disk; "" for `content`
  char type = '0';          // '0' file, '5' directory, '2' symlink
  std::uint32_t mode = 0;   // permission, setuid/setgid/sticky bits
  std::uint64_t size = 0;   // files only
  std::int64_t mtime = 0;   // seconds
  std::string link_target;  // symlinks
  std::string content;      // an entry made by the client (a Dockerfile from outside)
  bool in_memory = false;
};

// Walks `context_dir`, leaving out what `ignore` excludes. Throws berth::Error naming the path for
// anything unreadable.
std::vector<ContextEntry> collect_context(const std::string& context_dir,
                                          const DockerignoreMatcher& ignore);

// docker's TrimBuildFilesFromExcludes: the patterns plus exceptions for .dockerignore and the
// Dockerfile when they would be excluded, so both always reach the engine.
std::vector<std::string> keep_build_files(std::vector<std::string> patterns,
                                          const std::string& dockerfile_in_context);

// One ustar header block (plus a PAX block before it for long names and links).
std::string tar_header(const ContextEntry& entry);

// Produces the tar of `entries` piece by piece: read() fills up to `size` bytes, 0 at the end
// (after the two zero blocks that close a tar).
class ContextTar {
 public:
  explicit ContextTar(std::vector<ContextEntry> entries);
  ~ContextTar();
  ContextTar(const ContextTar&) = delete;
  ContextTar& operator=(const ContextTar&) = delete;
  std::size_t read(char* data, std::size_t size);

 private:
  void next_entry();
  std::vector<ContextEntry> entries_;
  std::size_t index_ = 0;
  std::string pending_;          // header, in-memory content or padding waiting to go out
  int fd_ = -1;                  // the file whose bytes go out now
  std::uint64_t remaining_ = 0;  // its bytes still to send
  std::uint64_t padding_ = 0;    // zeros after it
  bool finished_ = false;
};

}  // namespace berth::cli::client
