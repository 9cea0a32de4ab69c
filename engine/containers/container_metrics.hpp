#pragma once
// `docker top` and `docker stats`: what runs in a container and what it uses, read from the runtime
// and the container's cgroups (v1 on hybrid hosts, v2 in berth VMs).
#include <string>

#include <nlohmann/json.hpp>

namespace berth::engine {

class ContainerManager;

// {Titles, Processes} of `ps <ps_args>` restricted to the container's processes.
nlohmann::json container_top(ContainerManager& containers, const std::string& ref,
                             const std::string& ps_args);

// One stats sample in Docker's shape; `previous` (a former sample, or null) fills precpu_stats.
nlohmann::json container_stats(ContainerManager& containers, const std::string& ref,
                               const nlohmann::json& previous);

}  // namespace berth::engine
