#include "engine/shim/shim_protocol.hpp"

#include <fcntl.h>
#include <sys/un.h>

#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace berth::engine::shim {

std::string state_file(const std::string& state_dir, std::string_view name) {
  return state_dir + "/" + std::string(name);
}

SocketAddress::SocketAddress(const std::string& dir, std::string_view name) {
  path_ = state_file(dir, name);
  if (path_.size() < sizeof(sockaddr_un{}.sun_path)) return;
  dir_.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir_) throw_errno("open " + dir);
  path_ = "/proc/self/fd/" + std::to_string(dir_.get()) + "/" + std::string(name);
}

std::string launch_to_json(const ShimLaunch& launch) {
  nlohmann::json j = {
      {"shim_path", launch.shim_path},
      {"id", launch.id},
      {"state_dir", launch.state_dir},
      {"runtime_path", launch.runtime_path},
      {"runtime_root", launch.runtime_root},
      {"bundle", launch.bundle},
      {"exec_container_id", launch.exec_container_id},
      {"exec_process_file", launch.exec_process_file},
      {"tty", launch.tty},
      {"open_stdin", launch.open_stdin},
      {"stdin_once", launch.stdin_once},
      {"log_path", launch.log_path},
      {"log_max_size", launch.log_max_size},
      {"log_max_files", launch.log_max_files},
      {"log_compressor", launch.log_compressor},
      {"log_attrs", launch.log_attrs},
  };
  return j.dump();
}

ShimLaunch launch_from_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw InvalidArgument("shim launch file is not a JSON object");
  ShimLaunch launch;
  try {
    launch.shim_path = j.value("shim_path", "");
    launch.id = j.at("id").get<std::string>();
    launch.state_dir = j.at("state_dir").get<std::string>();
    launch.runtime_path = j.at("runtime_path").get<std::string>();
    launch.runtime_root = j.at("runtime_root").get<std::string>();
    launch.bundle = j.value("bundle", "");
    launch.exec_container_id = j.value("exec_container_id", "");
    launch.exec_process_file = j.value("exec_process_file", "");
    launch.tty = j.value("tty", false);
    launch.open_stdin = j.value("open_stdin", false);
    launch.stdin_once = j.value("stdin_once", false);
    launch.log_path = j.value("log_path", "");
    launch.log_max_size = j.value("log_max_size", int64_t{-1});
    launch.log_max_files = j.value("log_max_files", 1);
    launch.log_compressor = j.value("log_compressor", "");
    launch.log_attrs = j.value("log_attrs", "");
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("shim launch file: ") + e.what());
  }
  return launch;
}

std::string exit_to_json(const ShimExit& exit) {
  nlohmann::json j = {{"exit_code", exit.exit_code},
                      {"finished_at", exit.finished_at},
                      {"oom_killed", exit.oom_killed},
                      {"error", exit.error}};
  return j.dump();
}

ShimExit exit_from_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw InvalidArgument("shim exit record is not a JSON object");
  ShimExit exit;
  exit.exit_code = j.value("exit_code", 255);
  exit.finished_at = j.value("finished_at", "");
  exit.oom_killed = j.value("oom_killed", false);
  exit.error = j.value("error", "");
  return exit;
}

std::vector<std::string> split_request(std::string_view line) {
  std::vector<std::string> words;
  while (!line.empty()) {
    auto space = line.find(' ');
    if (space != 0) words.emplace_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return words;
}

std::string last_runtime_error(const std::string& runtime_log_path) {
  std::string text, message;
  try {
    text = read_file(runtime_log_path);
  } catch (const Error&) {
    return message;
  }
  std::string_view rest = text;
  while (!rest.empty()) {
    auto eol = rest.find('\n');
    std::string line(rest.substr(0, eol));
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    auto j = nlohmann::json::parse(line, nullptr, false);
    // runc logs json; crun logs plain text lines unless told otherwise — take those verbatim.
    if (j.is_discarded() || !j.is_object()) {
      if (!line.empty()) message = line;
      continue;
    }
    if (j.value("level", "") == "error") message = j.value("msg", "");
  }
  return message;
}

}  // namespace berth::engine::shim
