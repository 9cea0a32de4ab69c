#pragma once
// A directory tree written as a tar stream: container diffs for `docker commit` (overlayfs
// whiteouts turned back into OCI ".wh." entries), `docker export` and `docker cp` downloads.
// The walk uses directory fds and never follows symlinks, so a container cannot redirect it.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>

#include "engine/images/archive_io.hpp"

namespace berth::engine {

struct TreeTarOptions {
  // An overlay upper dir: 0/0 character devices become ".wh.<name>", directories with
  // trusted.overlay.opaque=y get a ".wh..wh..opq" entry, and trusted.overlay.* xattrs are dropped.
  bool overlay_whiteouts = false;
  // Member names start with "<prefix>/" and the tree's root is itself an entry "<prefix>/". Empty:
  // names are relative to the tree and the root has no entry (docker export's layout).
  std::string prefix;
  // Owner names written as each entry's uname/gname (docker takes them from the container's own
  // /etc/passwd and /etc/group). An id missing from the map gets no name.
  std::map<uid_t, std::string> user_names;
  std::map<gid_t, std::string> group_names;
};

// Writes `path` (a directory, or a single file named by the prefix or else its own name).
void write_tree(TarWriter& writer, const std::filesystem::path& path,
                const TreeTarOptions& options);

// Writes the entry `name` of the open directory `dir_fd` ("." for that directory itself), never
// following a symlink, not even `name` itself: a symlink is archived as a symlink. Nothing is
// looked up by path, so a tree that changes under the walk cannot redirect it.
void write_tree_at(TarWriter& writer, int dir_fd, const std::string& name,
                   const TreeTarOptions& options);

}  // namespace berth::engine
