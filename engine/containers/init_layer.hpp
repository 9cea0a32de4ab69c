#pragma once
// dockerd's init layer: the layer between a container's image and its own changes that holds what
// every container has (/.dockerenv), the mount points for the files the engine binds (/etc/hosts,
// /etc/hostname, /etc/resolv.conf, /dev/console) and the directories the runtime mounts over. With
// them in a lower layer the runtime never creates them in the container's layer, so `docker diff`
// and commit do not see them, while the container, cp and export do; and an image whose
// /etc/resolv.conf is a symlink gets a plain file to mount on instead of a link to follow.
#include <string>

namespace berth::engine {

// Fills `dir` (created if missing) with the init layer's entries, leaving any already there. Cheap
// to call again: once /.dockerenv, written last, exists, it returns at once.
void ensure_init_layer(const std::string& dir);

}  // namespace berth::engine
