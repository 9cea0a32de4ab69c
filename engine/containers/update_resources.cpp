#include "engine/containers/update_resources.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <vector>

#include "common/error.hpp"

using nlohmann::json;

namespace berth::engine {

namespace {

constexpr int64_t kMinimumMemory = 6 * 1024 * 1024;  // dockerd's linuxMinMemory

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

// The first readable, non-empty file: the v1 cpuset hierarchy, then the v2 root, then the kernel's
// online list (a host without the cpuset controller still has its CPUs).
std::string first_listed(const std::vector<std::string>& paths) {
  for (const auto& path : paths)
    if (std::string text = first_line(path); !text.empty()) return text;
  return "";
}

int64_t number(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string text(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int parse_cpu_number(std::string_view item, std::string_view list) {
  int value = 0;
  const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
  if (item.empty() || error != std::errc() || end != item.data() + item.size() || value < 0)
    throw InvalidArgument("invalid cpuset list: " + std::string(list));
  return value;
}

// sysinfo.isCpusetListAvailable: every requested number must be in the host's list.
void verify_cpuset(const std::string& requested, const std::string& available, const char* what,
                   const char* unavailable) {
  if (requested.empty()) return;
  std::set<int> wanted;
  try {
    wanted = parse_cpuset_list(requested);
  } catch (const InvalidArgument&) {
    throw InvalidArgument("Invalid value " + requested + " for cpuset " + what +
                          ": invalid format: " + requested);
  }
  if (available.empty()) return;  // nothing to compare with: the runtime decides
  const std::set<int> host = parse_cpuset_list(available);
  for (int n : wanted)
    if (!host.count(n))
      throw InvalidArgument(std::string(unavailable) + " - requested " + requested +
                            ", available: " + available);
}

void verify_memory(const json& request) {
  const int64_t memory = number(request, "Memory");
  const int64_t swap = number(request, "MemorySwap");
  const int64_t reservation = number(request, "MemoryReservation");
  if (memory != 0 && memory < kMinimumMemory)
    throw InvalidArgument("Minimum memory limit allowed is 6MB");
  if (memory > 0 && swap > 0 && swap < memory)
    throw InvalidArgument("Minimum memoryswap limit should be larger than memory limit, see usage");
  if (reservation != 0 && reservation < kMinimumMemory)
    throw InvalidArgument("Minimum memory reservation allowed is 6MB");
  if (memory > 0 && reservation > 0 && memory < reservation)
    throw InvalidArgument(
        "Minimum memory limit can not be less than memory reservation limit, see usage");
}

void verify_cpu(const json& request, const HostCpuset& host) {
  const int64_t nano_cpus = number(request, "NanoCpus");
  const int64_t period = number(request, "CpuPeriod");
  const int64_t quota = number(request, "CpuQuota");
  const long ncpu = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (nano_cpus < 0 || nano_cpus > ncpu * 1'000'000'000LL)
    throw InvalidArgument("Range of CPUs is from 0.01 to " + std::to_string(ncpu) +
                          ".00, as there are only " + std::to_string(ncpu) + " CPUs available");
  if (const int64_t shares = number(request, "CpuShares"); shares < 0)
    throw InvalidArgument("invalid CPU shares (" + std::to_string(shares) +
                          "): value must be a positive integer");
  if (nano_cpus > 0 && period > 0)
    throw InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (nano_cpus > 0 && quota > 0)
    throw InvalidArgument("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  if (period != 0 && (period < 1000 || period > 1000000))
    throw InvalidArgument(
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  if (quota > 0 && quota < 1000)
    throw InvalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  verify_cpuset(text(request, "CpusetCpus"), host.cpus, "cpus", "Requested CPUs are not available");
  verify_cpuset(text(request, "CpusetMems"), host.mems, "mems",
                "Requested memory nodes are not available");
  if (int64_t weight = number(request, "BlkioWeight"); weight > 0 && (weight < 10 || weight > 1000))
    throw InvalidArgument("Range of blkio weight is from 10 to 1000");
}

[[noreturn]] void cannot_update(const std::string& id, const std::string& why) {
  throw Conflict("Cannot update container " + id + ": " + why);
}

// UpdateContainer's guards: NanoCPUs and Period/Quota exclude each other across updates, and a
// new memory limit above the stored memory+swap needs a new swap limit too.
void check_against_stored(const json& hc, const json& request, const std::string& id) {
  const bool nano_request = number(request, "NanoCpus") > 0;
  if (nano_request && number(hc, "CpuPeriod") > 0)
    cannot_update(
        id, "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  if (nano_request && number(hc, "CpuQuota") > 0)
    cannot_update(
        id, "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  if (number(hc, "NanoCpus") > 0 && number(request, "CpuPeriod") > 0)
    cannot_update(
        id, "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  if (number(hc, "NanoCpus") > 0 && number(request, "CpuQuota") > 0)
    cannot_update(
        id, "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  const int64_t memory = number(request, "Memory");
  // dockerd stores twice the memory limit as the swap limit of a container created with a memory
  // limit alone; the container's cgroup has that limit here too.
  int64_t stored_swap = number(hc, "MemorySwap");
  if (stored_swap == 0 && number(hc, "Memory") > 0) stored_swap = 2 * number(hc, "Memory");
  // As dockerd, an unset stored swap (0) counts as a limit too: the request must bring one.
  if (memory != 0 && memory > stored_swap && number(request, "MemorySwap") == 0)
    cannot_update(id,
                  "Memory limit should be smaller than already set memoryswap limit, update the "
                  "memoryswap at the same time");
}

}  // namespace

HostCpuset host_cpuset() {
  return {first_listed({"/sys/fs/cgroup/cpuset/cpuset.cpus", "/sys/fs/cgroup/cpuset.cpus.effective",
                        "/sys/devices/system/cpu/online"}),
          first_listed({"/sys/fs/cgroup/cpuset/cpuset.mems", "/sys/fs/cgroup/cpuset.mems.effective",
                        "/sys/devices/system/node/online"})};
}

std::set<int> parse_cpuset_list(std::string_view list) {
  std::set<int> out;
  if (list.empty()) return out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view item = list.substr(start, comma - start);
    const size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      out.insert(parse_cpu_number(item, list));
    } else {
      const int low = parse_cpu_number(item.substr(0, dash), list);
      const int high = parse_cpu_number(item.substr(dash + 1), list);
      if (high < low) throw InvalidArgument("invalid cpuset list: " + std::string(list));
      for (int n = low; n <= high; ++n) out.insert(n);
    }
    start = comma + 1;
  }
  return out;
}

void verify_resources(const json& request, const HostCpuset& host) {
  verify_memory(request);
  verify_cpu(request, host);
}

json merge_update(const json& host_config, const json& request, const std::string& container_id) {
  check_against_stored(host_config, request, container_id);
  json hc = host_config;
  for (const char* key :
       {"Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuPeriod",
        "CpuQuota", "BlkioWeight", "CpuRealtimePeriod", "CpuRealtimeRuntime"})
    if (number(request, key) != 0) hc[key] = request[key];
  for (const char* key : {"CpusetCpus", "CpusetMems"})
    if (!text(request, key).empty()) hc[key] = request[key];
  // A PidsLimit present replaces the stored one (0 or -1: unlimited), as dockerd's pointer does.
  if (auto it = request.find("PidsLimit"); it != request.end() && it->is_number())
    hc["PidsLimit"] = it->get<int64_t>() > 0 ? *it : json(nullptr);
  return hc;
}

json runtime_update_resources(const json& request, const json& merged) {
  json resources = json::object();
  json memory = json::object();
  if (number(request, "Memory") != 0 || number(request, "MemorySwap") != 0) {
    if (int64_t limit = number(merged, "Memory"); limit > 0) memory["limit"] = limit;
    if (int64_t swap = number(merged, "MemorySwap"); swap != 0) memory["swap"] = swap;
  }
  if (int64_t reservation = number(request, "MemoryReservation"); reservation != 0)
    memory["reservation"] = reservation;
  if (!memory.empty()) resources["memory"] = memory;

  json cpu = json::object();
  if (int64_t nano = number(request, "NanoCpus"); nano > 0) {
    cpu["period"] = 100'000;
    cpu["quota"] = nano * 100'000 / 1'000'000'000;
  }
  if (int64_t period = number(request, "CpuPeriod"); period > 0) cpu["period"] = period;
  if (int64_t quota = number(request, "CpuQuota"); quota != 0) cpu["quota"] = quota;
  if (int64_t shares = number(request, "CpuShares"); shares > 0) cpu["shares"] = shares;
  if (int64_t rt = number(request, "CpuRealtimePeriod"); rt > 0) cpu["realtimePeriod"] = rt;
  if (int64_t rt = number(request, "CpuRealtimeRuntime"); rt > 0) cpu["realtimeRuntime"] = rt;
  if (auto cpus = text(request, "CpusetCpus"); !cpus.empty()) cpu["cpus"] = cpus;
  if (auto mems = text(request, "CpusetMems"); !mems.empty()) cpu["mems"] = mems;
  if (!cpu.empty()) resources["cpu"] = cpu;

  if (auto it = request.find("PidsLimit"); it != request.end() && it->is_number()) {
    const int64_t limit = it->get<int64_t>();
    resources["pids"] = {{"limit", limit > 0 ? limit : -1}};  // 0 / -1: unlimited
  }
  if (int64_t weight = number(request, "BlkioWeight"); weight > 0)
    resources["blockIO"] = {{"weight", weight}};
  return resources.empty() ? json(nullptr) : resources;
}

}  // namespace berth::engine
