#pragma once
// A directory tree written as a tar stream: container diffs for `docker commit` (overlayfs
// whiteouts turned back into OCI ".wh." entries), `docker export` and `docker cp` downloads.
// The walk uses directory fds and never follows symlinks, so a container cannot redirect it.
#include <filesystem>
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
};

// Writes `path` (a directory, or a single file named by the prefix or else its own name).
void write_tree(TarWriter& writer, const std::filesystem::path& path,
                const TreeTarOptions& options);

}  // namespace berth::engine
