#pragma once
// The body of POST /containers/{id}/update from `berth update`'s flags, as docker builds its
// UpdateConfig: sizes in docker's units ("64m"), --cpus as NanoCpus, --restart as RestartPolicy.
// Only flags the user gave are sent (the engine keeps everything else as it is).
#include <cstdint>
#include <optional>
#include <string>

#include "common/json.hpp"

namespace berth::cli::client {

struct UpdateFlags {
  std::optional<std::string> memory, memory_swap, memory_reservation, kernel_memory, cpus;
  std::optional<std::string> cpuset_cpus, cpuset_mems, restart;
  std::optional<std::int64_t> cpu_shares, cpu_period, cpu_quota, pids_limit, blkio_weight;
  bool any() const;
};

// Throws InvalidArgument naming the bad value ("invalid argument \"x\" for \"-m, --memory\"…").
Json update_body(const UpdateFlags& flags);

}  // namespace berth::cli::client
