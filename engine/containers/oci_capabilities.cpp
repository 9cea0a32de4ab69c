#include "engine/containers/oci_capabilities.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::engine {
namespace {

// Indexed by capability number (linux/capability.h).
constexpr std::array<std::string_view, 41> kCapabilityNames = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr std::string_view kAll = "ALL";

// "net_admin" / "CAP_NET_ADMIN" → "CAP_NET_ADMIN"; "all" → "ALL".
std::string normalize(const std::string& name) {
  std::string upper;
  for (char c : name)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (upper == kAll) return upper;
  if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
  if (std::find(kCapabilityNames.begin(), kCapabilityNames.end(), upper) ==
      kCapabilityNames.end()) {
    throw InvalidArgument("unknown capability: \"" + upper + "\"");
  }
  return upper;
}

// `field` names the list in the error, as dockerd's "invalid CapAdd: unknown capability: …".
std::vector<std::string> normalize_all(const std::vector<std::string>& names,
                                       const std::string& field) {
  std::vector<std::string> out;
  try {
    for (const auto& name : names) out.push_back(normalize(name));
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("invalid " + field + ": " + e.what());
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE",
  };
  return caps;
}

// The engine's own capability bounding set (CapBnd in /proc/self/status): a container can never
// hold more than its engine, and a runtime asked for more fails ("unable to apply caps"), as
// happens when the engine itself runs in a container or sandbox without, say, CAP_SYS_RESOURCE.
uint64_t engine_bounding_set() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("CapBnd:")) return std::strtoull(line.c_str() + 7, nullptr, 16);
  }
  return ~uint64_t{0};
}

std::vector<std::string> all_capabilities() {
  // Naming a capability the kernel lacks makes runtimes warn or fail; offer what exists.
  size_t last = kCapabilityNames.size() - 1;
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  size_t kernel_last = 0;
  if (in >> kernel_last) last = std::min(last, kernel_last);
  const uint64_t bounding = engine_bounding_set();
  std::vector<std::string> caps;
  for (size_t i = 0; i <= last; ++i)
    if (bounding & (uint64_t{1} << i)) caps.emplace_back(kCapabilityNames[i]);
  return caps;
}

std::vector<std::string> tweak_capabilities(const std::vector<std::string>& add,
                                            const std::vector<std::string>& drop, bool privileged) {
  if (privileged) return all_capabilities();
  if (add.empty() && drop.empty()) return default_capabilities();
  const auto cap_add = normalize_all(add, "CapAdd");
  const auto cap_drop = normalize_all(drop, "CapDrop");

  std::vector<std::string> caps;
  if (contains(cap_add, kAll)) {
    caps = all_capabilities();
  } else if (contains(cap_drop, kAll)) {
    // Dropping everything leaves exactly what was added back.
    for (const auto& c : cap_add) {
      if (!contains(caps, c)) caps.push_back(c);
    }
    return caps;
  } else {
    caps = default_capabilities();
  }
  std::erase_if(caps, [&](const std::string& c) { return contains(cap_drop, c); });
  for (const auto& c : cap_add) {
    if (c != kAll && !contains(caps, c)) caps.push_back(c);
  }
  return caps;
}

}  // namespace berth::engine
