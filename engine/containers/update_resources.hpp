#pragma once
// `docker update`'s resource rules, after moby's daemon/update.go: the request is checked as
// verifyPlatformContainerResources does (update mode), merged into the stored HostConfig as
// container.UpdateContainer does, and what changed goes to the runtime as OCI LinuxResources.
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::engine {

// The CPUs and memory nodes containers may be pinned to (docker's sysinfo.Cpus / Mems): the cpuset
// of the root cgroup, as the kernel lists them ("0-1").
struct HostCpuset {
  std::string cpus;
  std::string mems;
};
HostCpuset host_cpuset();

// A cpuset list ("0-2,5") as numbers; throws InvalidArgument when it is not one.
std::set<int> parse_cpuset_list(std::string_view list);

// A create's or an update's own limits, checked as dockerd's verifyPlatformContainerResources does
// before anything is stored or changed (InvalidArgument with dockerd's texts: "Minimum memoryswap
// limit should be larger than memory limit, see usage", "Requested CPUs are not available -
// requested 5, available: 0-1", ...).
void verify_resources(const nlohmann::json& request, const HostCpuset& host);

// The stored HostConfig with the request merged in: zero and empty values leave a setting as it
// is. Conflicts with what is stored throw Conflict ("Cannot update container <id>: …").
nlohmann::json merge_update(const nlohmann::json& host_config, const nlohmann::json& request,
                            const std::string& container_id);

// The LinuxResources JSON for `runc update` (OCI semantics: memory.swap is memory plus swap; the
// runtime turns it into memory.swap.max on cgroup v2). Memory limit and swap always go together
// from the merged config, so the runtime can order and convert them; null when nothing changes.
nlohmann::json runtime_update_resources(const nlohmann::json& request,
                                        const nlohmann::json& merged_host_config);

}  // namespace berth::engine
