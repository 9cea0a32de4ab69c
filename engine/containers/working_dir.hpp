#pragma once
// The container's working directory, made before it starts as dockerd makes it: every missing
// directory of the path created (root's, 0755) inside the container's root filesystem, symlinks
// resolved inside it, never outside.
#include <string>

namespace berth::engine {

// Throws InvalidArgument "Cannot mkdir: /etc/passwd is not a directory" (dockerd's words) when a
// part of `dir` exists and is not a directory.
void ensure_working_dir(const std::string& rootfs, const std::string& dir);

}  // namespace berth::engine
