#pragma once
// The platform this engine runs images for, in docker's words ("amd64"): what a loaded archive must
// offer, what a new image (import, commit) records, and what `--platform` is checked against.
#include <nlohmann/json.hpp>
#include <string>

namespace berth::engine {

inline const char* host_architecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

// `--platform os[/arch[/variant]]` (or just an architecture) against an image's config, as
// dockerd's create compares them. Returns "" when the image is for that platform, else
// "wanted linux/arm64, actual: linux/amd64". Throws InvalidArgument for a platform that names no
// operating system or architecture, in containerd's words.
std::string platform_mismatch(const nlohmann::json& image_config, const std::string& platform);

}  // namespace berth::engine
