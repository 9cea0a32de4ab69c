#include "engine/containers/oci_seccomp.hpp"

#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <utility>

#include "common/error.hpp"
#include "common/json.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

// strconv.ParseBool, which dockerd uses for no-new-privileges=<value>.
std::optional<bool> parse_go_bool(const std::string& text) {
  static const std::set<std::string> yes = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string> no = {"0", "f", "F", "FALSE", "false", "False"};
  if (yes.contains(text)) return true;
  if (no.contains(text)) return false;
  return std::nullopt;
}

// This machine's architecture as seccomp names it, and as Docker's profile `arches` names it.
struct NativeArch {
  const char* scmp;
  const char* docker;
};
constexpr NativeArch native_arch() {
#if defined(__x86_64__)
  return {"SCMP_ARCH_X86_64", "amd64"};
#elif defined(__aarch64__)
  return {"SCMP_ARCH_AARCH64", "arm64"};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {"SCMP_ARCH_PPC64LE", "ppc64le"};
#elif defined(__s390x__)
  return {"SCMP_ARCH_S390X", "s390x"};
#elif defined(__riscv) && __riscv_xlen == 64
  return {"SCMP_ARCH_RISCV64", "riscv64"};
#else
#error "berth's seccomp support does not know this architecture"
#endif
}

// Whether this kernel runs code of a secondary architecture at all. A filter section for one it
// cannot run is dead weight, and not a small one: runc compiles the profile for every container,
// and each section adds milliseconds to every start (x32 alone ~8 ms with runc 1.1).
bool kernel_runs(const std::string& scmp_arch) {
#if defined(__x86_64__)
  // Most kernels build x32 out or switch it off (Debian's: syscall.x32=n); its calls answer ENOSYS.
  static const bool x32 = ::syscall(0x40000000 | SYS_getpid) != -1;
  // The abi.vsyscall32 sysctl exists exactly when the kernel has IA32 emulation.
  static const bool x86 = ::access("/proc/sys/abi/vsyscall32", F_OK) == 0;
  if (scmp_arch == "SCMP_ARCH_X32") return x32;
  if (scmp_arch == "SCMP_ARCH_X86") return x86;
#else
  (void)scmp_arch;
#endif
  return true;
}

std::pair<int, int> kernel_version() {
  static const std::pair<int, int> version = [] {
    utsname u{};
    int major = 0, minor = 0;
    if (::uname(&u) == 0) std::sscanf(u.release, "%d.%d", &major, &minor);
    return std::pair{major, minor};
  }();
  return version;
}

std::pair<int, int> parse_kernel_version(const std::string& text) {
  int major = 0, minor = 0;
  char rest = 0;
  if (std::sscanf(text.c_str(), "%d.%d%c", &major, &minor, &rest) != 2 || major < 0 || minor < 0)
    throw InvalidArgument("seccomp profile: invalid minKernel \"" + text +
                          "\" (expected MAJOR.MINOR, for example 4.8)");
  return {major, minor};
}

const std::set<std::string>& known_actions() {
  static const std::set<std::string> actions = {
      "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
      "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
      "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
  return actions;
}

std::string checked_action(const json& holder, const char* field) {
  const std::string action = get_string(holder, field);
  if (!known_actions().contains(action))
    throw InvalidArgument("seccomp profile: unknown action \"" + action + "\" in \"" + field +
                          "\"");
  return action;
}

json checked_args(const json& syscall) {
  static const std::set<std::string> ops = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                            "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                            "SCMP_CMP_MASKED_EQ"};
  json out = json::array();
  const json* args = find_field(syscall, "args");
  if (args == nullptr || args->is_null()) return out;
  if (!args->is_array()) throw InvalidArgument("seccomp profile: \"args\" must be an array");
  for (const auto& a : *args) {
    const std::string op = get_string(a, "op");
    if (!ops.contains(op))
      throw InvalidArgument("seccomp profile: unknown operator \"" + op + "\"");
    const int64_t index = get_int64(a, "index");
    if (index < 0 || index > 5)
      throw InvalidArgument("seccomp profile: argument index " + std::to_string(index) +
                            " is out of range 0-5");
    out.push_back({{"index", index},
                   {"value", a.value("value", uint64_t{0})},
                   {"valueTwo", a.value("valueTwo", uint64_t{0})},
                   {"op", op}});
  }
  return out;
}

// An errno value for SCMP_ACT_ERRNO; absent means the runtime's EPERM.
std::optional<int64_t> errno_of(const json& holder, const char* field) {
  if (find_field(holder, field) == nullptr) return std::nullopt;
  const int64_t value = get_int64(holder, field);
  if (value < 0 || value > 4095)
    throw InvalidArgument(std::string("seccomp profile: \"") + field +
                          "\" must be an errno number");
  return value;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Docker's Filter: which capabilities, architectures and kernel a rule applies to.
struct Filter {
  std::vector<std::string> caps, arches;
  std::string min_kernel;
};
Filter filter_of(const json& syscall, const char* field) {
  Filter f;
  const json* holder = find_field(syscall, field);
  if (holder == nullptr || holder->is_null()) return f;
  if (!holder->is_object())
    throw InvalidArgument(std::string("seccomp profile: \"") + field + "\" must be an object");
  f.caps = get_string_array(*holder, "caps");
  f.arches = get_string_array(*holder, "arches");
  f.min_kernel = get_string(*holder, "minKernel");
  if (!f.min_kernel.empty()) parse_kernel_version(f.min_kernel);
  return f;
}

// dockerd's rule: excluded when it holds ANY excluded capability or runs on an excluded
// architecture or a kernel at least minKernel; included only when it holds ALL included
// capabilities, runs on an included architecture and a kernel at least minKernel.
bool applies(const json& syscall, const std::vector<std::string>& capabilities) {
  const Filter excludes = filter_of(syscall, "excludes");
  const Filter includes = filter_of(syscall, "includes");
  const std::string arch = native_arch().docker;
  for (const auto& cap : excludes.caps)
    if (contains(capabilities, cap)) return false;
  if (contains(excludes.arches, arch)) return false;
  if (!excludes.min_kernel.empty() && kernel_version() >= parse_kernel_version(excludes.min_kernel))
    return false;
  for (const auto& cap : includes.caps)
    if (!contains(capabilities, cap)) return false;
  if (!includes.arches.empty() && !contains(includes.arches, arch)) return false;
  if (!includes.min_kernel.empty() && kernel_version() < parse_kernel_version(includes.min_kernel))
    return false;
  return true;
}

json architectures(const json& profile) {
  const json* arches = find_field(profile, "architectures");
  const json* arch_map = find_field(profile, "archMap");
  const bool has_arches = arches && arches->is_array() && !arches->empty();
  const bool has_map = arch_map && arch_map->is_array() && !arch_map->empty();
  if (has_arches && has_map)
    throw InvalidArgument(
        "seccomp profile: both 'architectures' and 'archMap' are specified, use either "
        "'architectures' or 'archMap'");
  if (has_arches) return get_string_array(profile, "architectures");
  json out = json::array();
  if (!has_map) return out;
  for (const auto& entry : *arch_map) {
    if (get_string(entry, "architecture") != native_arch().scmp) continue;
    out.push_back(native_arch().scmp);
    for (const auto& sub : get_string_array(entry, "subArchitectures"))
      if (kernel_runs(sub)) out.push_back(sub);
  }
  return out;
}

// "seccomp=…": the part after the first '=' (or the deprecated ':').
std::pair<std::string, std::string> split_option(const std::string& opt) {
  auto sep = opt.find('=');
  if (sep == std::string::npos) sep = opt.find(':');
  if (sep == std::string::npos) throw InvalidArgument("invalid --security-opt 1: \"" + opt + "\"");
  return {opt.substr(0, sep), opt.substr(sep + 1)};
}

json parse_profile(const std::string& text) {
  json profile = json::parse(text, nullptr, false);
  if (profile.is_discarded() || !profile.is_object())
    throw InvalidArgument("Decoding seccomp profile failed: the profile is not a JSON object");
  return profile;
}

}  // namespace

SecurityOptions parse_security_options(const json& host_config) {
  SecurityOptions out;
  for (const auto& opt : get_string_array(host_config, "SecurityOpt")) {
    if (opt == "no-new-privileges") {
      out.no_new_privileges = true;
      continue;
    }
    if (opt == "disable") {
      out.label.push_back("disable");
      continue;
    }
    auto [key, value] = split_option(opt);
    if (key == "label") {
      out.label.push_back(value);
    } else if (key == "apparmor") {
      out.apparmor = value;
    } else if (key == "seccomp") {
      out.seccomp = value;
    } else if (key == "no-new-privileges") {
      const auto flag = parse_go_bool(value);
      if (!flag) throw InvalidArgument("invalid --security-opt 2: \"" + opt + "\"");
      out.no_new_privileges = *flag;
    } else {
      throw InvalidArgument("invalid --security-opt 2: \"" + opt + "\"");
    }
  }
  if (!out.seccomp.empty() && out.seccomp != "unconfined" && out.seccomp != "builtin") {
    // Checked now, so a bad profile fails `docker create` instead of every start.
    docker_profile_to_oci(parse_profile(out.seccomp), {});
  }
  return out;
}

json docker_profile_to_oci(const json& profile, const std::vector<std::string>& capabilities) {
  json out = {{"defaultAction", checked_action(profile, "defaultAction")},
              {"architectures", architectures(profile)}};
  if (auto errno_ret = errno_of(profile, "defaultErrnoRet")) out["defaultErrnoRet"] = *errno_ret;
  if (const auto flags = get_string_array(profile, "flags"); !flags.empty()) out["flags"] = flags;
  if (const auto listener = get_string(profile, "listenerPath"); !listener.empty())
    out["listenerPath"] = listener;

  json syscalls = json::array();
  const json* rules = find_field(profile, "syscalls");
  if (rules != nullptr && !rules->is_null() && !rules->is_array())
    throw InvalidArgument("seccomp profile: \"syscalls\" must be an array");
  for (const auto& rule : rules && rules->is_array() ? *rules : json::array()) {
    const std::string name = get_string(rule, "name");
    std::vector<std::string> names = get_string_array(rule, "names");
    if (!name.empty() && !names.empty())
      throw InvalidArgument(
          "seccomp profile: 'name' and 'names' were specified in a syscall rule, use either "
          "'name' or 'names'");
    if (!name.empty()) names.push_back(name);
    json converted = {
        {"names", names}, {"action", checked_action(rule, "action")}, {"args", checked_args(rule)}};
    if (!applies(rule, capabilities)) continue;
    if (auto errno_ret = errno_of(rule, "errnoRet")) converted["errnoRet"] = *errno_ret;
    if (converted["args"].empty()) converted.erase("args");
    if (!names.empty()) syscalls.push_back(std::move(converted));
  }
  out["syscalls"] = std::move(syscalls);
  return out;
}

json oci_seccomp(const json& host_config, const std::vector<std::string>& capabilities,
                 const std::string& daemon_default) {
  // A privileged container runs without a filter, as with dockerd.
  if (get_bool(host_config, "Privileged")) return nullptr;
  std::string choice = parse_security_options(host_config).seccomp;
  if (choice.empty()) choice = daemon_default;
  if (choice == "unconfined") return nullptr;
  if (choice.empty() || choice == "builtin")
    return docker_profile_to_oci(builtin_seccomp_profile(), capabilities);
  return docker_profile_to_oci(parse_profile(choice), capabilities);
}

}  // namespace berth::engine
