#pragma once
// Crash-safe state files. Readers of berth's on-disk state (container configs, machine configs)
// must only ever see the complete old or the complete new contents, even after a power cut.
#include <sys/types.h>

#include <string>
#include <string_view>

namespace berth {

// Replaces `path` with `contents`: a unique temp file in the same directory is written, fsynced,
// chmodded to `mode` (exactly, ignoring the umask), renamed over `path`, and the directory is
// fsynced. On failure the temp file is removed, the old file is untouched, and SystemError is
// thrown.
void write_file_atomic(const std::string& path, std::string_view contents, mode_t mode = 0644);

// The same replacement without the two fsyncs: readers still see the whole old or the whole new
// contents, but a power cut may lose the write. For state that does not outlive the machine's boot
// (the exec root, a tmpfs in production: bundles, shim state) or that is written afresh on every
// container start (hosts, resolv.conf). Each fsync costs ~0.5 ms on a disk, ~20 of them per
// `docker run`.
void write_file_replace(const std::string& path, std::string_view contents, mode_t mode = 0644);

// Rewrites the existing file `path` in place (truncate, then write): for a file bind-mounted into
// a container, where a rename would leave the mount on the old file. Not crash-safe: readers may
// see it half written, as with dockerd's own updates of a running container's /etc/hosts.
void write_file_in_place(const std::string& path, std::string_view contents);

// Whole-file read. Throws NotFound when `path` does not exist, SystemError on other failures.
std::string read_file(const std::string& path);

// mkdir -p: creates `path` and missing parents with `mode` (subject to the umask). Existing
// directories are fine; an existing non-directory in the way throws SystemError (ENOTDIR / EEXIST).
void ensure_directory(const std::string& path, mode_t mode = 0755);

}  // namespace berth
