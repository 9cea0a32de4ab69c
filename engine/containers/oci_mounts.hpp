#pragma once
// The mounts of a container's OCI spec: dockerd's defaults (/proc, /dev, /dev/pts, /sys, cgroup,
// mqueue, /dev/shm), then the user's Binds and Tmpfs, then the hostname/hosts/resolv.conf files.
#include <nlohmann/json.hpp>
#include <string>

namespace berth::engine {

struct OciSpecInput;

// Throws InvalidArgument for malformed Binds/Tmpfs ("invalid mount config …", named volumes).
nlohmann::json make_mounts(const OciSpecInput& input);

// What create checks of the user's mounts (-v, --mount, --tmpfs): each one well formed, and no
// destination twice, in dockerd's words ("invalid mode: …", "Duplicate mount point: /m").
void check_user_mounts(const nlohmann::json& host_config);

// One `-v /host/dir:/dir[:ro,…]` as an OCI mount ({destination, type, source, options}). Throws
// InvalidArgument naming the bind when it is malformed or names a volume.
nlohmann::json parse_bind(const std::string& bind);

// One `--mount` (HostConfig.Mounts entry: bind or tmpfs) as an OCI mount. Throws InvalidArgument
// naming the problem, in dockerd's words where it has them.
nlohmann::json parse_mount(const nlohmann::json& mount);

// `--tmpfs /dir:OPTIONS`: the mount flags dockerd knows plus size, mode, uid, gid, nr_inodes,
// nr_blocks and mpol; anything else throws InvalidArgument in dockerd's words ("invalid tmpfs
// option [\"bogus\"]").
void check_tmpfs_options(const std::string& options);

}  // namespace berth::engine
