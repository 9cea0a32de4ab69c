#pragma once
// The platform this engine runs images for, in docker's words ("amd64"): what a loaded archive must
// offer and what a new image (import, commit) records.

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

}  // namespace berth::engine
