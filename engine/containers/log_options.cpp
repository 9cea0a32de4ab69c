#include "engine/containers/log_options.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
#include <regex>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/split.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

[[noreturn]] void refuse(const std::string& why) {
  throw InvalidArgument("failed to initialize logging driver: " + why);
}

// go-units 0.4's parseSize, as dockerd 20.10 vendors it: FromHumanSize with decimal units,
// RAMInBytes with binary ones. Throws the bare reason; callers say which option it was.
int64_t go_units_size(const std::string& text, bool binary) {
  static const std::regex size_pattern(R"(^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$)");
  std::smatch parts;
  if (!std::regex_match(text, parts, size_pattern))
    throw InvalidArgument("invalid size: '" + text + "'");
  const std::string number = parts[1];
  if (number.find('.') != number.rfind('.'))
    throw InvalidArgument("strconv.ParseFloat: parsing \"" + number + "\": invalid syntax");
  double size = std::strtod(number.c_str(), nullptr);
  if (parts[3].matched) {
    const double base = binary ? 1024 : 1000;
    const std::string prefixes = "kmgtp";
    const auto power = prefixes.find(static_cast<char>(std::tolower(parts[3].str()[0])));
    for (size_t i = 0; i <= power; ++i) size *= base;
  }
  return size >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(size);
}

int64_t human_size(const std::string& text) {
  try {
    return go_units_size(text, false);
  } catch (const InvalidArgument& e) {
    refuse(e.what());
  }
}

// Go's strconv.Atoi.
int64_t go_atoi(const std::string& text) {
  const std::string invalid = "strconv.Atoi: parsing \"" + text + "\": invalid syntax";
  size_t digits = text.find_first_not_of("+-") == 1 ? 1 : 0;
  if (text.size() <= digits || text.find_first_not_of("0123456789", digits) != std::string::npos)
    refuse(invalid);
  errno = 0;
  const long long value = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE) refuse("strconv.Atoi: parsing \"" + text + "\": value out of range");
  return value;
}

// Go's strconv.ParseBool.
bool go_parse_bool(const std::string& text) {
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == yes) return true;
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == no) return false;
  refuse("strconv.ParseBool: parsing \"" + text + "\": invalid syntax");
}

std::regex go_regexp(const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    const char* what = e.code() == std::regex_constants::error_paren   ? "missing closing )"
                       : e.code() == std::regex_constants::error_brack ? "missing closing ]"
                       : e.code() == std::regex_constants::error_badrepeat
                           ? "missing argument to repetition operator"
                           : "invalid regular expression";
    refuse(std::string("error parsing regexp: ") + what + ": `" + pattern + "`");
  }
}

// logger.Info.ExtraAttributes: listed labels, labels matching the regex, then the same for the
// environment. A later source wins for a key both name.
std::map<std::string, std::string> extra_attributes(const json& options, const Container& c) {
  std::map<std::string, std::string> attrs;
  const json labels = c.config.value("Labels", json::object());
  const auto label = [&labels](const std::string& key) -> const json* {
    auto it = labels.is_object() ? labels.find(key) : labels.end();
    return it != labels.end() && it->is_string() ? &*it : nullptr;
  };
  if (const std::string listed = get_string(options, "labels"); !listed.empty())
    for (const auto& key : split(listed, ','))
      if (const json* value = label(key)) attrs[key] = value->get<std::string>();
  if (const std::string pattern = get_string(options, "labels-regex"); !pattern.empty()) {
    const std::regex matching = go_regexp(pattern);
    if (labels.is_object())
      for (const auto& [key, value] : labels.items())
        if (value.is_string() && std::regex_search(key, matching))
          attrs[key] = value.get<std::string>();
  }
  std::map<std::string, std::string> env;
  for (const auto& entry : get_string_array(c.config, "Env"))
    if (const size_t eq = entry.find('='); eq != std::string::npos)
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
  if (const std::string listed = get_string(options, "env"); !listed.empty())
    for (const auto& key : split(listed, ','))
      if (auto it = env.find(key); it != env.end()) attrs[key] = it->second;
  if (const std::string pattern = get_string(options, "env-regex"); !pattern.empty()) {
    const std::regex matching = go_regexp(pattern);
    for (const auto& [key, value] : env)
      if (std::regex_search(key, matching)) attrs[key] = value;
  }
  return attrs;
}

// What {{.Field}} gives in a tag template: logger.Info's methods and its string fields.
std::optional<std::string> tag_field(const std::string& field, const Container& c,
                                     const std::string& log_path) {
  std::string command = c.path;
  for (const auto& arg : c.args) command += " " + arg;
  if (field == "ID") return c.short_id();
  if (field == "FullID" || field == "ContainerID") return c.id;
  if (field == "Name") return c.bare_name();
  if (field == "ContainerName") return c.name;
  if (field == "ImageID") return c.image_id.substr(0, 12);  // "sha256:" counts, as in dockerd
  if (field == "ImageFullID" || field == "ContainerImageID") return c.image_id;
  if (field == "ImageName" || field == "ContainerImageName") return c.image;
  if (field == "Command") return command;
  if (field == "ContainerEntrypoint") return c.path;
  if (field == "LogPath") return log_path;
  // Tools that read logs written by dockerd key on this name; berthd answers as the engine it
  // stands in for.
  if (field == "DaemonName") return std::string("docker");
  if (field == "Hostname") {
    char host[HOST_NAME_MAX + 1] = {};
    ::gethostname(host, sizeof host - 1);
    return std::string(host);
  }
  return std::nullopt;
}

// loggerutils.ParseLogTag for the templates people write: text and {{.Field}} actions.
std::string render_tag(const std::string& tmpl, const Container& c, const std::string& log_path) {
  static const std::regex action(R"(\{\{-?\s*\.([A-Za-z]+)\s*-?\}\})");
  std::string out;
  size_t done = 0;
  for (auto it = std::sregex_iterator(tmpl.begin(), tmpl.end(), action);
       it != std::sregex_iterator(); ++it) {
    const auto& match = *it;
    out += tmpl.substr(done, static_cast<size_t>(match.position()) - done);
    const std::string field = match[1];
    const auto value = tag_field(field, c, log_path);
    if (!value) {
      refuse("template: log-tag:1:" + std::to_string(match.position(1) - 1) +
             ": executing \"log-tag\" at <." + field + ">: can't evaluate field " + field +
             " in type *logger.Info");
    }
    out += *value;
    done = static_cast<size_t>(match.position() + match.length());
  }
  const std::string rest = tmpl.substr(done);
  if (rest.find("{{") != std::string::npos) {
    refuse("template: log-tag: berthd renders fields such as {{.Name}} and {{.ID}} in a tag, not " +
           rest.substr(rest.find("{{")));
  }
  return out + rest;
}

// A string as Go's encoding/json writes it: HTML-safe, \n \r \t short, other controls as \u00XX.
void append_go_json_string(std::string& out, const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == '"' || b == '\\') {
      out += '\\';
      out += static_cast<char>(b);
    } else if (b == '\n') {
      out += "\\n";
    } else if (b == '\r') {
      out += "\\r";
    } else if (b == '\t') {
      out += "\\t";
    } else if (b < 0x20 || b == '<' || b == '>' || b == '&') {
      out += "\\u00";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else if (b == 0xE2 && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(b);
    }
  }
  out += '"';
}

}  // namespace

void check_log_mode(const nlohmann::json& options) {
  const std::string mode = get_string(options, "mode");
  if (!mode.empty() && mode != "blocking" && mode != "non-blocking")
    throw InvalidArgument("logger: logging mode not supported: " + mode);
  if (!options.contains("max-buffer-size")) return;
  if (mode != "non-blocking")
    throw InvalidArgument(
        "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  try {
    go_units_size(get_string(options, "max-buffer-size"), true);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("error parsing option max-buffer-size: ") + e.what());
  }
}

JsonFileLogOptions json_file_log_options(const Container& c, const std::string& log_path) {
  const json options =
      c.host_config.value("LogConfig", json::object()).value("Config", json::object());
  JsonFileLogOptions result;
  if (!options.is_object()) return result;
  if (options.contains("max-size")) {
    result.max_size = human_size(get_string(options, "max-size"));
    if (result.max_size <= 0) refuse("max-size must be a positive number");
  }
  if (options.contains("max-file")) {
    const int64_t files = go_atoi(get_string(options, "max-file"));
    if (files < 1) refuse("max-file cannot be less than 1");
    result.max_files = static_cast<int>(std::min<int64_t>(files, INT_MAX));
  }
  if (options.contains("compress")) {
    result.compress = go_parse_bool(get_string(options, "compress"));
    if (result.compress && (result.max_files == 1 || result.max_size == -1))
      refuse("compress cannot be true when max-file is less than 2 or max-size is not set");
  }
  auto attrs = extra_attributes(options, c);
  if (const std::string tag = get_string(options, "tag"); !tag.empty())
    attrs["tag"] = render_tag(tag, c, log_path);
  if (!attrs.empty()) {
    result.attrs = "{";
    for (const auto& [key, value] : attrs) {
      if (result.attrs.size() > 1) result.attrs += ',';
      append_go_json_string(result.attrs, key);
      result.attrs += ':';
      append_go_json_string(result.attrs, value);
    }
    result.attrs += '}';
  }
  return result;
}

}  // namespace berth::engine
