#include "cli/client/update_body.hpp"

#include <algorithm>
#include <vector>

#include "cli/client/container_flags.hpp"
#include "common/error.hpp"

namespace berth::cli::client {

bool UpdateFlags::any() const {
  return memory || memory_swap || memory_reservation || kernel_memory || cpus || cpuset_cpus ||
         cpuset_mems || restart || cpu_shares || cpu_period || cpu_quota || pids_limit ||
         blkio_weight;
}

namespace {

// docker reports a bad flag value the way pflag does.
std::int64_t bytes_flag(const std::string& value, const char* flag) {
  try {
    return value == "-1" ? -1 : parse_memory(value);
  } catch (const std::exception& e) {
    throw InvalidArgument("invalid argument \"" + value + "\" for \"" + flag +
                          "\" flag: " + e.what());
  }
}

Json restart_policy(const std::string& text) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  static const std::vector<std::string> policies = {"no", "always", "on-failure", "unless-stopped"};
  if (std::find(policies.begin(), policies.end(), name) == policies.end()) {
    throw InvalidArgument("invalid restart policy: unknown policy '" + name +
                          "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  }
  int retries = 0;
  if (colon != std::string::npos) {
    if (name != "on-failure") {
      throw InvalidArgument(
          "invalid restart policy: maximum retry count can only be used with "
          "'on-failure'");
    }
    try {
      retries = std::stoi(text.substr(colon + 1));
    } catch (const std::exception&) {
      throw InvalidArgument(
          "invalid restart policy format: maximum retry count must be an "
          "integer");
    }
  }
  return Json{{"Name", name}, {"MaximumRetryCount", retries}};
}

}  // namespace

Json update_body(const UpdateFlags& f) {
  Json body = Json::object();
  if (f.memory) body["Memory"] = bytes_flag(*f.memory, "-m, --memory");
  if (f.memory_swap) body["MemorySwap"] = bytes_flag(*f.memory_swap, "--memory-swap");
  if (f.memory_reservation)
    body["MemoryReservation"] = bytes_flag(*f.memory_reservation, "--memory-reservation");
  if (f.kernel_memory) body["KernelMemory"] = bytes_flag(*f.kernel_memory, "--kernel-memory");
  if (f.cpus) {
    try {
      body["NanoCpus"] = parse_nano_cpus(*f.cpus);
    } catch (const std::exception& e) {
      throw InvalidArgument("invalid argument \"" + *f.cpus +
                            "\" for \"--cpus\" flag: " + e.what());
    }
  }
  if (f.cpu_shares) body["CpuShares"] = *f.cpu_shares;
  if (f.cpu_period) body["CpuPeriod"] = *f.cpu_period;
  if (f.cpu_quota) body["CpuQuota"] = *f.cpu_quota;
  if (f.cpuset_cpus) body["CpusetCpus"] = *f.cpuset_cpus;
  if (f.cpuset_mems) body["CpusetMems"] = *f.cpuset_mems;
  if (f.pids_limit) body["PidsLimit"] = *f.pids_limit;
  if (f.blkio_weight) body["BlkioWeight"] = *f.blkio_weight;
  if (f.restart) body["RestartPolicy"] = restart_policy(*f.restart);
  return body;
}

}  // namespace berth::cli::client
