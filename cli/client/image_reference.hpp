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
// True when the reference names neither a tag nor a digest ("busybox", "localhost:5000/x").
bool is_name_only(const std::string& reference);
// The normalised reference docker prints after a pull: "docker.io/library/busybox:latest",
// "docker.io/library/busybox@sha256:…", or the name alone for `pull -a`.
std::string canonical_reference(const PullTarget& target, bool name_only = false);
// docker's reference.ParseNormalizedNamed checks that `docker tag/import/build -t` run first:
// throws InvalidArgument("invalid reference format…") for upper case, empty parts or stray
// characters.
void check_reference_format(const std::string& reference);
// docker's reference.FamiliarName: "docker.io/library/busybox" → "busybox",
// "docker.io/me/app" → "me/app"; other registries stay as they are.
std::string familiar_name(const std::string& normalised_name);

}  // namespace berth::cli::client
