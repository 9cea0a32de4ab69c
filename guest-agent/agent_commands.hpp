#pragma once
// The agent's command set beyond the protocol's own (guest-sync, guest-ping, guest-info).
#include <string>

#include "guest-agent/agent_protocol.hpp"
#include "guest-agent/engine_control.hpp"
#include "guest-agent/system_actions.hpp"

namespace berth::agent {

struct GuestPaths {
  std::string os_release = "/etc/os-release";
  std::string sysfs_net = "/sys/class/net";
  std::string proc_uptime = "/proc/uptime";
  std::string proc_meminfo = "/proc/meminfo";
  std::string proc_mounts = "/proc/mounts";
  std::string data_disk_mount = "/var/lib/berth-disk";
};

// The standard qemu-ga commands libvirt uses: guest-network-get-interfaces, guest-get-osinfo,
// guest-get-host-name, guest-shutdown, guest-get-time, guest-set-time.
void add_guest_commands(CommandTable& table, SystemActions& system, EngineControl& engine,
                        const GuestPaths& paths = {});

// berth-status and berth-restart-engine, for the machine manager.
void add_berth_commands(CommandTable& table, EngineControl& engine,
                        const std::string& agent_version, const GuestPaths& paths = {});

}  // namespace berth::agent
