#pragma once
// Safe tar extraction for image layers (into a layer's diff dir, whiteouts turned into overlayfs
// whiteouts) and for `docker cp` uploads. Nothing an archive says can write outside the target:
// absolute names and ".." components are refused, every path is resolved from a directory fd
// without following symlinks (or, for cp, with symlinks confined to the target as if it were the
// root), and links are created without ever being followed.
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "engine/images/archive_io.hpp"

namespace berth::engine {

struct ExtractOptions {
  // Image layers: ".wh.<name>" becomes a 0/0 character device (an overlayfs whiteout) and
  // ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory. Off: such names are plain files.
  bool overlay_whiteouts = true;
  // Off (layers): a path through a symlink is refused. On (cp into a container): symlinks already
  // in the target are followed but resolved inside it (openat2 RESOLVE_IN_ROOT), like a chroot.
  bool resolve_in_root = false;
  // docker cp's NoOverwriteDirNonDir: replacing a directory by a non-directory (or the reverse) is
  // an error instead of a replacement.
  bool no_overwrite_dir_non_dir = false;
  // Paths (relative to the target) that are mount points where the files land (docker cp into a
  // container: its bind mounts and the engine's /etc/hostname, /etc/hosts, /etc/resolv.conf). An
  // entry that would replace one fails as unlinking a mount point fails: "device or resource busy".
  std::set<std::string> mount_points;
  // Directories mounted below the target (docker cp into a container: its bind mounts of
  // directories), by their path relative to it: what the archive holds below one lands in the
  // mounted directory, as it does in the container (an entry for the mount point itself sets the
  // mounted directory's owner, mode and times).
  struct Mount {
    std::string source;  // the directory on this host
    bool read_only = false;
  };
  std::map<std::string, Mount> mounts;
  // The target as the errors about replacing and mount points name it (docker cp: its path in the
  // container, since dockerd's untar runs chrooted there).
  std::string target_name = "/";
};

// Extracts every entry of `reader` into `dir` (an existing directory). Owners are kept when
// running as root; modes, times, xattrs (except trusted.overlay.*), hard links, symlinks, device
// nodes and fifos are recreated. Returns the total size of regular file data, the layer size
// docker reports. Throws InvalidArgument naming the entry for anything unsafe or malformed.
int64_t extract_tar(TarReader& reader, const std::filesystem::path& dir,
                    const ExtractOptions& options);

// Removes `name` in `parent_fd` (a whole tree for a directory) without following symlinks.
void remove_tree_at(int parent_fd, const std::string& name);

}  // namespace berth::engine
