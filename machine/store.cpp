#include "machine/store.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "drivers/driver.hpp"

namespace berth::machine {

namespace fs = std::filesystem;

std::string resolve_storage_path(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return *flag;
  if (const char* env = std::getenv("BERTH_STORAGE_PATH"); env != nullptr && *env != '\0') {
    return env;
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.berth";
  }
  throw InvalidArgument(
      "cannot find the machine store: $HOME is not set — give --storage-path or set "
      "BERTH_STORAGE_PATH");
}

Store::Store(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string Store::config_path(const std::string& name) const {
  return machine_dir(name) + "/" + kConfigFile;
}

std::string Store::ssh_key_path(const std::string& name) const {
  return machine_dir(name) + "/" + kSshKeyFile;
}

bool Store::exists(const std::string& name) const {
  std::error_code ec;
  return fs::exists(config_path(name), ec);
}

std::vector<std::string> Store::list() const {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(machines_dir(), ec);
  if (ec) return names;  // no machines yet
  for (const auto& entry : it) {
    if (!entry.is_directory(ec)) continue;
    auto name = entry.path().filename().string();
    if (exists(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

MachineRecord Store::load(const std::string& name) const {
  drivers::validate_machine_name(name);
  const auto path = config_path(name);
  std::string text;
  try {
    text = read_file(path);
  } catch (const NotFound&) {
    throw NotFound("machine \"" + name +
                   "\" does not exist — `berth machine ls` lists the machines there are");
  }
  Json json;
  try {
    json = Json::parse(text);
  } catch (const Json::exception& e) {
    throw Error("machine \"" + name + "\": its configuration " + path +
                " is corrupt (not valid JSON: " + e.what() +
                ") — fix the file, or remove the machine with `berth machine rm -f " + name + "`");
  }
  try {
    auto record = record_from_json(json);
    if (record.name != name) {
      throw InvalidArgument("it names machine \"" + record.name + "\"");
    }
    return record;
  } catch (const InvalidArgument& e) {
    throw Error("machine \"" + name + "\": its configuration " + path + " is corrupt (" + e.what() +
                ") — fix the file, or remove the machine with `berth machine rm -f " + name + "`");
  }
}

std::vector<LoadResult> Store::load_all() const {
  std::vector<LoadResult> results;
  for (const auto& name : list()) {
    LoadResult result{name, std::nullopt, ""};
    try {
      result.record = load(name);
    } catch (const Error& e) {
      result.error = e.what();
    }
    results.push_back(std::move(result));
  }
  return results;
}

void Store::save(const MachineRecord& record) const {
  ensure_directory(machine_dir(record.name), 0700);
  write_file_atomic(config_path(record.name), record_to_json(record).dump(2) + "\n", 0600);
}

std::string Store::create_machine_dir(const std::string& name) const {
  drivers::validate_machine_name(name);
  if (exists(name)) {
    throw Conflict("machine \"" + name + "\" already exists — pick another name, or remove it " +
                   "first with `berth machine rm " + name + "`");
  }
  ensure_directory(machines_dir(), 0700);
  const auto dir = machine_dir(name);
  // A folder without config.json is what a crashed create left behind: reuse it.
  ensure_directory(dir, 0700);
  return dir;
}

void Store::remove_machine_dir(const std::string& name) const {
  drivers::validate_machine_name(name);  // never rm -rf a path built from "../x"
  std::error_code ec;
  fs::remove_all(machine_dir(name), ec);
  if (ec) {
    throw SystemError("remove " + machine_dir(name), ec.value());
  }
}

}  // namespace berth::machine
