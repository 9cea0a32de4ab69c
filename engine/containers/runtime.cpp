#include "engine/containers/runtime.hpp"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <filesystem>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/subprocess.hpp"

namespace berth::engine {
namespace {

using namespace std::chrono_literals;

// Runtime commands touch only the runtime's state dir and the cgroup tree; seconds at most unless
// the host is wedged, and then the caller is better off with an error than a hung API request.
constexpr auto kCommandTimeout = 30s;
constexpr auto kProbeTimeout = 5s;

bool is_fs(const char* path, long magic) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && static_cast<long>(fs.f_type) == magic;
}

std::string find_on_path(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::string_view path = env != nullptr && *env != '\0'
                              ? env
                              : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  while (true) {
    auto colon = path.find(':');
    std::string dir(path.substr(0, colon));
    if (!dir.empty() && dir.front() == '/') {
      std::string candidate = dir + "/" + name;
      struct stat st {};
      if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          ::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
    if (colon == std::string_view::npos) return "";
    path.remove_prefix(colon + 1);
  }
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

std::string first_line(const std::string& text) {
  return trim(text.substr(0, text.find('\n')));
}

// The runtime's own words, without runc's "time=… level=error msg=" decoration when present.
std::string runtime_message(const CaptureResult& result) {
  std::string text = trim(result.stderr_data);
  if (text.empty()) text = trim(result.stdout_data);
  auto msg = text.rfind("msg=\"");
  if (msg != std::string::npos && text.ends_with("\"")) {
    text = text.substr(msg + 5, text.size() - msg - 6);
    std::string unescaped;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      unescaped.push_back(text[i]);
    }
    text = unescaped;
  }
  return text.empty() ? result.status.describe() : text;
}

}  // namespace

CgroupInfo detect_cgroups() {
  CgroupInfo info;
  if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) {
    info.version = 2;
  } else if (is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) {
    info.version = 1;
    info.hybrid = true;
  }
  return info;
}

std::vector<RuntimeInfo> detect_runtimes() {
  const CgroupInfo cgroups = detect_cgroups();
  std::vector<RuntimeInfo> found;
  for (const std::string name : {"crun", "runc"}) {
    RuntimeInfo info;
    info.name = name;
    info.path = find_on_path(name);
    if (info.path.empty()) continue;
    try {
      auto result = run_capture({info.path, "--version"}, {}, kProbeTimeout);
      if (result.status.success()) {
        info.version = first_line(result.stdout_data);
        info.usable = true;
      } else {
        info.reason = name + " --version failed: " + runtime_message(result);
      }
    } catch (const Error& e) {
      info.reason = name + " --version failed: " + e.what();
    }
    // crun decides from the same statfs probes as detect_cgroups() and refuses a hybrid host at
    // container creation ("cgroups in hybrid mode not supported"); pure v1 and v2 work.
    if (info.usable && name == "crun" && cgroups.hybrid) {
      info.usable = false;
      info.reason =
          "crun cannot run containers on a hybrid cgroup v1/v2 host (cgroups in hybrid mode not "
          "supported)";
    }
    found.push_back(std::move(info));
  }
  return found;
}

const RuntimeInfo& default_runtime(const std::vector<RuntimeInfo>& runtimes,
                                   const std::string& preferred) {
  if (!preferred.empty()) {
    for (const auto& r : runtimes) {
      if (r.name == preferred && r.usable) return r;
    }
  }
  for (const auto& r : runtimes) {
    if (r.usable) return r;
  }
  std::string why;
  for (const auto& r : runtimes) why += "; " + r.name + ": " + r.reason;
  throw Unavailable("no usable OCI runtime (crun or runc) found" +
                    (why.empty() ? std::string(" on PATH") : why));
}

Runtime::Runtime(RuntimeInfo info, std::string state_root)
    : info_(std::move(info)), state_root_(std::move(state_root)) {}

namespace {

CaptureResult run_runtime(const Runtime& runtime, std::vector<std::string> args,
                          std::string_view input = {}) {
  std::vector<std::string> argv = {runtime.info().path, "--root", runtime.state_root()};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions options;
  options.argv = std::move(argv);
  return run_capture(std::move(options), input, kCommandTimeout);
}

// Maps the runtime's complaint to the error kind the API reports.
[[noreturn]] void throw_runtime_error(const Runtime& runtime, const std::string& verb,
                                      const std::string& id, const CaptureResult& result) {
  const std::string message =
      runtime.info().name + " " + verb + " " + id + ": " + runtime_message(result);
  const std::string lower = [&] {
    std::string s = message;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();
  if (lower.find("does not exist") != std::string::npos ||
      lower.find("not found") != std::string::npos) {
    throw NotFound(message);
  }
  if (lower.find("not running") != std::string::npos ||
      lower.find("not paused") != std::string::npos ||
      lower.find("is paused") != std::string::npos ||
      lower.find("cannot delete") != std::string::npos) {
    throw Conflict(message);
  }
  throw Error(message);
}

void run_checked(const Runtime& runtime, const std::string& verb, const std::string& id,
                 std::vector<std::string> args, std::string_view input = {}) {
  auto result = run_runtime(runtime, std::move(args), input);
  if (!result.status.success()) throw_runtime_error(runtime, verb, id, result);
}

}  // namespace

void Runtime::kill(const std::string& id, int signal, bool all) const {
  std::vector<std::string> args = {"kill"};
  if (all) args.push_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(signal));
  run_checked(*this, "kill", id, args);
}

void Runtime::pause(const std::string& id) const {
  run_checked(*this, "pause", id, {"pause", id});
}

void Runtime::resume(const std::string& id) const {
  run_checked(*this, "resume", id, {"resume", id});
}

void Runtime::remove(const std::string& id, bool force) const {
  std::vector<std::string> args = {"delete"};
  if (force) args.push_back("--force");
  args.push_back(id);
  run_checked(*this, "delete", id, args);
}

CaptureResult Runtime::exec_capture(const std::string& id, const std::string& process_file,
                                    std::chrono::milliseconds timeout) const {
  SpawnOptions options;
  options.argv = {info_.path, "--root", state_root_, "exec", "--process", process_file, id};
  return run_capture(std::move(options), {}, timeout);
}

bool Runtime::has_state(const std::string& id) const {
  std::error_code ec;
  return std::filesystem::exists(state_root_ + "/" + id, ec);
}

std::vector<int> Runtime::pids(const std::string& id) const {
  auto result = run_runtime(*this, {"ps", "--format", "json", id});
  if (!result.status.success()) throw_runtime_error(*this, "ps", id, result);
  auto list = nlohmann::json::parse(result.stdout_data, nullptr, false);
  if (!list.is_array()) {
    throw Error(info_.name + " ps " + id +
                ": unexpected output: " + first_line(result.stdout_data));
  }
  std::vector<int> pids;
  for (const auto& pid : list) {
    if (pid.is_number_integer()) pids.push_back(pid.get<int>());
  }
  return pids;
}

std::optional<std::string> Runtime::state_json(const std::string& id) const {
  auto result = run_runtime(*this, {"state", id});
  if (result.status.success()) return result.stdout_data;
  try {
    throw_runtime_error(*this, "state", id, result);
  } catch (const NotFound&) {
    return std::nullopt;
  }
}

void Runtime::update(const std::string& id, const std::string& resources_json) const {
  run_checked(*this, "update", id, {"update", "--resources", "-", id}, resources_json);
}

}  // namespace berth::engine
