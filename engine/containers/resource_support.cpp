#include "engine/containers/resource_support.hpp"

#include <unistd.h>

#include "common/error.hpp"
#include "common/json.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

struct Support {
  bool weight_device, read_bps, write_bps, read_iops, write_iops, realtime;
};

// Probed once: the files runc writes.
const Support& support() {
  static const Support probed = [] {
    const bool v2 = exists("/sys/fs/cgroup/cgroup.controllers");
    Support s{};
    if (v2) {
      s.weight_device =
          exists("/sys/fs/cgroup/berth/io.weight") || exists("/sys/fs/cgroup/berth/io.bfq.weight");
      s.read_bps = s.write_bps = s.read_iops = s.write_iops = exists("/sys/fs/cgroup/berth/io.max");
      s.realtime = false;  // cgroup v2 has no real-time budget
      return s;
    }
    const std::string blkio = "/sys/fs/cgroup/blkio";
    // As dockerd: the legacy weight file at the hierarchy's root. BFQ's own file is there only
    // below the root, and it refuses every device whose queue does not run BFQ.
    s.weight_device = exists(blkio + "/blkio.weight_device");
    s.read_bps = exists(blkio + "/blkio.throttle.read_bps_device");
    s.write_bps = exists(blkio + "/blkio.throttle.write_bps_device");
    s.read_iops = exists(blkio + "/blkio.throttle.read_iops_device");
    s.write_iops = exists(blkio + "/blkio.throttle.write_iops_device");
    s.realtime = exists("/sys/fs/cgroup/cpu/cpu.rt_period_us");
    return s;
  }();
  return probed;
}

bool has_entries(const json& hc, const char* key) {
  const auto it = hc.find(key);
  return it != hc.end() && it->is_array() && !it->empty();
}

}  // namespace

std::vector<std::string> discard_unsupported_resources(json& hc) {
  std::vector<std::string> warnings;
  const Support& s = support();
  // Each limit, whether this kernel has it, and dockerd's warning when it does not.
  const struct {
    const char* key;
    bool supported;
    bool is_list;
    const char* warning;
  } limits[] = {
      {"BlkioWeightDevice", s.weight_device, true,
       "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. "
       "Weight-device discarded."},
      {"BlkioDeviceReadBps", s.read_bps, true,
       "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. "
       "Block I/O BPS read limit discarded."},
      {"BlkioDeviceWriteBps", s.write_bps, true,
       "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. "
       "Block I/O BPS write limit discarded."},
      {"BlkioDeviceReadIOps", s.read_iops, true,
       "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. "
       "Block I/O IOPS read limit discarded."},
      {"BlkioDeviceWriteIOps", s.write_iops, true,
       "Your kernel does not support IOPS Block write limit or the cgroup is not mounted. "
       "Block I/O IOPS write limit discarded."},
      {"CpuRealtimePeriod", s.realtime, false,
       "Your kernel does not support cgroup cpu real-time period. Period discarded."},
      {"CpuRealtimeRuntime", s.realtime, false,
       "Your kernel does not support cgroup cpu real-time runtime. Runtime discarded."},
  };
  for (const auto& limit : limits) {
    const bool asked = limit.is_list ? has_entries(hc, limit.key) : get_int64(hc, limit.key) > 0;
    if (limit.supported || !asked) continue;
    warnings.push_back(limit.warning);
    hc[limit.key] = limit.is_list ? json::array() : json(0);
  }
  const int64_t period = get_int64(hc, "CpuRealtimePeriod");
  const int64_t runtime = get_int64(hc, "CpuRealtimeRuntime");
  if (period != 0 && runtime != 0 && runtime > period)
    throw InvalidArgument("cpu real-time runtime cannot be higher than cpu real-time period");
  for (const auto& device : hc.value("BlkioWeightDevice", json::array()))
    if (const int64_t weight = get_int64(device, "Weight");
        weight > 0 && (weight < 10 || weight > 1000))
      throw InvalidArgument("Range of blkio weight is from 10 to 1000");
  return warnings;
}

}  // namespace berth::engine
