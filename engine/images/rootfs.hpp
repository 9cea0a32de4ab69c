#pragma once
// Container root filesystems: overlay mounts of an image's layers, and tar streams in and out of
// a directory for `docker export` and `docker cp`.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/images/image_store.hpp"
#include "engine/images/layer_unpack.hpp"

namespace berth::engine {

// Mounts overlayfs at `target`. `upper` and `work` may both be empty for a read-only mount of the
// lowers. Lower dir lists longer than the one page mount(2) accepts are mounted through short
// symlinks (docker's "l/" trick). Throws SystemError naming the mount.
void mount_overlay(const std::vector<std::filesystem::path>& lowers_top_first,
                   const std::filesystem::path& upper, const std::filesystem::path& work,
                   const std::filesystem::path& target);

// Detaches the mount at `target` (MNT_DETACH). Not mounted or missing is fine.
void unmount(const std::filesystem::path& target);

// Writes `dir` (or a single file) as a tar to `write`. With a prefix, member names start with
// "<prefix>/" and the directory itself is the entry "<prefix>/" (docker cp's layout); without, the
// names are relative and the top directory has no entry (docker export's layout). Symlinks are
// archived, never followed.
void write_directory_tar(const std::filesystem::path& dir, const WriteFn& write,
                         const std::string& prefix = "");

// Extracts a tar (optionally compressed) from `read` into the existing directory `dir`, with the
// layer unpacking's safety rules except that symlinks already in `dir` are followed inside it, as
// in a chroot. `no_overwrite_dir_non_dir`: replacing a directory by a non-directory (or the
// reverse) is an InvalidArgument instead. `mount_points`, `target_name` and `mounts`: as in
// ExtractOptions.
void extract_tar_into(const ReadFn& read, const std::filesystem::path& dir,
                      bool no_overwrite_dir_non_dir, std::set<std::string> mount_points = {},
                      const std::string& target_name = "/",
                      std::map<std::string, ExtractOptions::Mount> mounts = {});

}  // namespace berth::engine
