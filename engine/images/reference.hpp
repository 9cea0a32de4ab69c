#pragma once
// Image references normalised as Docker does: "busybox" is docker.io/library/busybox:latest,
// "localhost:5000/app@sha256:..." keeps its registry and digest.
#include <string>
#include <string_view>

namespace berth::engine {

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000"
  std::string path;    // "library/busybox", "team/app"
  std::string tag;     // "latest" when neither tag nor digest was given; may be empty with a digest
  std::string digest;  // "sha256:<64 hex>" or empty

  // Throws InvalidArgument naming the text: "invalid reference format: repository name must be
  // lowercase" and the like, as docker words them.
  static Reference parse(std::string_view text);
  // True when `text` is a full or short image ID ("sha256:abc…" or a hex prefix of 12+ chars),
  // which is looked up as an ID rather than parsed as a name.
  static bool looks_like_id(std::string_view text);

  std::string name() const;             // docker.io/library/busybox
  std::string familiar_name() const;    // busybox, team/app, localhost:5000/app
  std::string string() const;           // docker.io/library/busybox:latest (or @digest)
  std::string familiar_string() const;  // busybox:latest
};

}  // namespace berth::engine
