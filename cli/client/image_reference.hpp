#pragma once
// Docker's reference normalisation for pulls: "busybox" → docker.io/library/busybox, tag latest.
#include <string>

namespace berth::cli::client {

struct PullTarget {
  std::string from_image;  // docker.io/library/busybox
  std::string tag;         // latest, or a digest "sha256:…" (sent as tag=, as docker does)
};

PullTarget pull_target(const std::string& reference);
// "busybox" → "busybox:latest"; a reference with a tag or digest stays as it is.
std::string with_default_tag(const std::string& reference);

}  // namespace berth::cli::client
