#pragma once
// What berthd was built from, for `docker version` (generated at build time by build_info.cmake).
namespace berth::engine {

extern const char* const kBuildCommit;  // short commit hash, or "unknown" outside a git checkout
extern const char* const kBuildTime;    // that commit's time, dockerd's format; "" when unknown

}  // namespace berth::engine
