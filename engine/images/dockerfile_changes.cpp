#include "engine/images/dockerfile_changes.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>

#include "common/error.hpp"
#include "common/time_format.hpp"

namespace berth::engine {

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The JSON (exec) form of CMD/ENTRYPOINT/VOLUME, or nullopt for the shell form.
std::optional<std::vector<std::string>> json_array(const std::string& text) {
  if (!text.starts_with('[')) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : j) {
      if (!v.is_string()) return std::nullopt;
      out.push_back(v.get<std::string>());
    }
    return out;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::vector<std::string> command(const std::string& args) {
  if (auto exec = json_array(args)) return *exec;
  return {"/bin/sh", "-c", args};
}

// "k=v k2=v2", or the legacy "k v with spaces" (one pair).
std::vector<std::pair<std::string, std::string>> key_values(const std::string& instruction,
                                                            const std::string& args) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto words = split_words(args);
  if (words.empty()) throw InvalidArgument(instruction + " requires at least one argument");
  if (words[0].find('=') == std::string::npos) {
    const auto space = args.find_first_of(" \t");
    if (space == std::string::npos) throw InvalidArgument(instruction + " must have two arguments");
    out.emplace_back(words[0], trim(args.substr(space)));
    return out;
  }
  for (const auto& word : words) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InvalidArgument(instruction + " names must be followed by '=': " + word);
    out.emplace_back(word.substr(0, eq), word.substr(eq + 1));
  }
  return out;
}

nlohmann::json& object_field(nlohmann::json& config, const char* key) {
  auto& field = config[key];
  if (!field.is_object()) field = nlohmann::json::object();
  return field;
}

void expose(nlohmann::json& config, const std::string& args) {
  auto& ports = object_field(config, "ExposedPorts");
  for (const auto& word : split_words(args)) {
    const auto slash = word.find('/');
    const std::string proto = slash == std::string::npos ? "tcp" : word.substr(slash + 1);
    const std::string range = word.substr(0, slash);
    const auto dash = range.find('-');
    try {
      const int first = std::stoi(range.substr(0, dash));
      const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
      if (first < 1 || last > 65535 || last < first) throw std::out_of_range("port");
      for (int port = first; port <= last; ++port)
        ports[std::to_string(port) + "/" + proto] = nlohmann::json::object();
    } catch (const std::logic_error&) {
      throw InvalidArgument("invalid containerPort: " + range);
    }
  }
}

void healthcheck(nlohmann::json& config, const std::string& args) {
  auto words = split_words(args);
  nlohmann::json check = nlohmann::json::object();
  size_t i = 0;
  for (; i < words.size() && words[i].starts_with("--"); ++i) {
    const auto eq = words[i].find('=');
    const std::string flag = words[i].substr(2, eq - 2);
    const std::string value = eq == std::string::npos ? "" : words[i].substr(eq + 1);
    static const std::map<std::string, std::string> durations = {
        {"interval", "Interval"},
        {"timeout", "Timeout"},
        {"start-period", "StartPeriod"},
        {"start-interval", "StartInterval"}};
    if (auto it = durations.find(flag); it != durations.end()) {
      check[it->second] = parse_go_duration(value).count();
    } else if (flag == "retries") {
      try {
        check["Retries"] = std::stoi(value);
      } catch (const std::logic_error&) {
        throw InvalidArgument("invalid --retries value: " + value);
      }
    } else {
      throw InvalidArgument("unknown flag: --" + flag);
    }
  }
  if (i == words.size()) throw InvalidArgument("HEALTHCHECK requires at least one argument");
  std::string type = words[i];
  std::transform(type.begin(), type.end(), type.begin(), ::toupper);
  if (type == "NONE") {
    config["Healthcheck"] = {{"Test", {"NONE"}}};
    return;
  }
  if (type != "CMD") throw InvalidArgument("Unknown type \"" + words[i] + "\" in HEALTHCHECK");
  const auto cmd_at = args.find(words[i]);
  const std::string rest = trim(args.substr(cmd_at + words[i].size()));
  nlohmann::json test = nlohmann::json::array();
  if (auto exec = json_array(rest)) {
    test.push_back("CMD");
    for (const auto& part : *exec) test.push_back(part);
  } else {
    test = {"CMD-SHELL", rest};
  }
  check["Test"] = test;
  config["Healthcheck"] = check;
}

}  // namespace

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && quote != '\'' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) throw InvalidArgument("unmatched quote in: " + text);
  if (in_word) words.push_back(std::move(word));
  return words;
}

nlohmann::json apply_changes(nlohmann::json config, const std::vector<std::string>& changes) {
  if (!config.is_object()) config = nlohmann::json::object();
  bool cmd_set = false;
  for (const auto& change : changes) {
    const std::string line = trim(change);
    if (line.empty()) continue;
    const auto space = line.find_first_of(" \t");
    std::string instruction = line.substr(0, space);
    std::transform(instruction.begin(), instruction.end(), instruction.begin(), ::toupper);
    const std::string args = space == std::string::npos ? "" : trim(line.substr(space));
    if (instruction == "CMD") {
      config["Cmd"] = command(args);
      cmd_set = true;
    } else if (instruction == "ENTRYPOINT") {
      config["Entrypoint"] = command(args);
      if (!cmd_set) config["Cmd"] = nullptr;  // a new entrypoint drops the inherited Cmd
    } else if (instruction == "ENV") {
      auto& env = config["Env"];
      if (!env.is_array()) env = nlohmann::json::array();
      for (const auto& [key, value] : key_values(instruction, args)) {
        auto it = std::find_if(env.begin(), env.end(), [&key = key](const nlohmann::json& e) {
          return e.is_string() && e.get<std::string>().starts_with(key + "=");
        });
        if (it != env.end()) {
          *it = key + "=" + value;
        } else {
          env.push_back(key + "=" + value);
        }
      }
    } else if (instruction == "LABEL") {
      auto& labels = object_field(config, "Labels");
      for (const auto& [key, value] : key_values(instruction, args)) labels[key] = value;
    } else if (instruction == "EXPOSE") {
      expose(config, args);
    } else if (instruction == "USER") {
      config["User"] = args;
    } else if (instruction == "WORKDIR") {
      std::string dir = args;
      const std::string current = config.value("WorkingDir", "");
      if (!dir.starts_with('/')) dir = (current.empty() ? "/" : current + "/") + dir;
      config["WorkingDir"] = dir;
    } else if (instruction == "STOPSIGNAL") {
      config["StopSignal"] = args;
    } else if (instruction == "VOLUME") {
      auto& volumes = object_field(config, "Volumes");
      const auto list = json_array(args).value_or(split_words(args));
      for (const auto& v : list) volumes[v] = nlohmann::json::object();
    } else if (instruction == "ONBUILD") {
      auto& onbuild = config["OnBuild"];
      if (!onbuild.is_array()) onbuild = nlohmann::json::array();
      onbuild.push_back(args);
    } else if (instruction == "HEALTHCHECK") {
      healthcheck(config, args);
    } else {
      // dockerd's parser lower-cases the instruction before it complains about it.
      std::string lower = instruction;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      throw InvalidArgument(lower + " is not a valid change command");
    }
  }
  return config;
}

}  // namespace berth::engine
