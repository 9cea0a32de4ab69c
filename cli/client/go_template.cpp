#include "cli/client/go_template.hpp"

#include <algorithm>
#include <vector>

#include "common/error.hpp"

namespace berth::cli::client {

namespace {

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Splits an action into words, keeping "quoted strings" whole (quotes removed, marked by a
// leading '"' kept so literals are told from fields).
std::vector<std::string> words(const std::string& action) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < action.size()) {
    if (action[i] == ' ' || action[i] == '\t') {
      ++i;
      continue;
    }
    if (action[i] == '"' || action[i] == '`') {
      const char quote = action[i];
      auto end = action.find(quote, i + 1);
      if (end == std::string::npos) throw InvalidArgument("template: unterminated quoted string");
      out.push_back("\"" + action.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    auto end = action.find_first_of(" \t", i);
    if (end == std::string::npos) end = action.size();
    out.push_back(action.substr(i, end - i));
    i = end;
  }
  return out;
}

struct Value {
  Json json;
  bool missing = false;  // a map key that does not exist: Go prints <no value>
};

Value field(const std::string& path, const Json& root, const TemplateOptions& options) {
  if (path == ".") return {root};
  const Json* node = &root;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    auto dot = path.find('.', pos);
    auto key = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    const Json* next = nullptr;
    if (node->is_object()) {
      auto exact = node->find(key);
      next = exact != node->end() ? &*exact : find_field(*node, key);
      if (next == nullptr && node->contains(key)) return {Json()};  // present but null
    }
    if (next == nullptr) {
      if (options.strict_fields || !node->is_object()) {
        throw InvalidArgument("template: can't evaluate field " + key + " in " + path);
      }
      return {Json(), true};
    }
    node = next;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return {*node};
}

Value argument(const std::string& word, const Json& root, const TemplateOptions& options) {
  if (!word.empty() && word[0] == '"') return {Json(word.substr(1))};
  if (!word.empty() && word[0] == '.') return field(word, root, options);
  if (!word.empty() && (std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '-')) {
    return {Json(std::stoll(word))};
  }
  throw InvalidArgument("template: unsupported argument \"" + word + "\"");
}

std::string text_of(const Value& v) {
  return v.missing ? "<no value>" : go_value_text(v.json);
}

Value call_function(const std::string& function, const std::vector<Value>& args) {
  auto need = [&](std::size_t n) {
    if (args.size() != n) {
      throw InvalidArgument("template: wrong number of args for " + function + ": want " +
                            std::to_string(n) + " got " + std::to_string(args.size()));
    }
  };
  if (function == "json") {
    need(1);
    return {Json(args[0].missing ? std::string("null") : args[0].json.dump())};
  }
  if (function == "upper" || function == "lower" || function == "title") {
    need(1);
    auto s = text_of(args[0]);
    for (auto& c : s) {
      c = static_cast<char>(function == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                                : std::toupper(static_cast<unsigned char>(c)));
      if (function == "title") break;
    }
    return {Json(s)};
  }
  if (function == "join") {
    need(2);
    std::string out;
    if (args[0].json.is_array()) {
      for (const auto& item : args[0].json) {
        if (!out.empty() || &item != &args[0].json.front()) out += text_of(args[1]);
        out += go_value_text(item);
      }
    } else {
      out = text_of(args[0]);
    }
    return {Json(out)};
  }
  if (function == "index") {
    need(2);
    const auto& container = args[0].json;
    if (container.is_object() && args[1].json.is_string()) {
      auto it = container.find(args[1].json.get<std::string>());
      return it == container.end() ? Value{Json(), true} : Value{*it};
    }
    if (container.is_array() && args[1].json.is_number_integer()) {
      auto i = args[1].json.get<std::int64_t>();
      if (i < 0 || static_cast<std::size_t>(i) >= container.size()) {
        throw InvalidArgument("template: index out of range: " + std::to_string(i));
      }
      return {container[static_cast<std::size_t>(i)]};
    }
    throw InvalidArgument("template: cannot index " + container.dump());
  }
  if (function == "truncate") {
    need(2);
    auto s = text_of(args[0]);
    auto n = static_cast<std::size_t>(std::max<std::int64_t>(0, args[1].json.get<std::int64_t>()));
    return {Json(s.substr(0, n))};
  }
  if (function == "println") {
    std::string out;
    for (std::size_t i = 0; i < args.size(); ++i) out += (i ? " " : "") + text_of(args[i]);
    return {Json(out + "\n")};
  }
  throw InvalidArgument("template: function \"" + function + "\" not defined");
}

// One pipeline stage: a field/literal, or a function applied to its words (plus the piped value).
Value stage(const std::vector<std::string>& ws, const std::optional<Value>& piped, const Json& root,
            const TemplateOptions& options) {
  if (ws.empty()) throw InvalidArgument("template: missing value for command");
  const auto& head = ws[0];
  if (head[0] == '.' || head[0] == '"') {
    if (ws.size() != 1 || piped)
      throw InvalidArgument("template: can't give argument to non-function " + head);
    return argument(head, root, options);
  }
  std::vector<Value> args;
  for (std::size_t i = 1; i < ws.size(); ++i) args.push_back(argument(ws[i], root, options));
  if (piped) args.push_back(*piped);
  return call_function(head, args);
}

std::string action(const std::string& text, const Json& root, const TemplateOptions& options) {
  static const char* kControl[] = {"range", "if",     "with",  "else",
                                   "end",   "define", "block", "template"};
  auto ws = words(text);
  if (!ws.empty()) {
    for (const char* word : kControl) {
      if (ws[0] == word) {
        throw InvalidArgument(std::string("template: {{") + word +
                              "}} is not supported by berth's --format");
      }
    }
  }
  std::optional<Value> value;
  std::vector<std::string> current;
  for (auto& w : ws) {
    if (w == "|") {
      value = stage(current, value, root, options);
      current.clear();
    } else {
      current.push_back(w);
    }
  }
  value = stage(current, value, root, options);
  return text_of(*value);
}

}  // namespace

std::string go_value_text(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "<nil>";
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return value.dump();
    case Json::value_t::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < value.size(); ++i) {
        out += (i ? " " : "") + go_value_text(value[i]);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, v] : value.items()) {  // nlohmann keeps keys sorted, as Go prints them
        out += (first ? "" : " ") + k + ":" + go_value_text(v);
        first = false;
      }
      return out + "]";
    }
    default:
      return value.dump();
  }
}

std::string render_go_template(const std::string& format, const Json& value,
                               TemplateOptions options) {
  std::string out;
  std::size_t pos = 0;
  while (pos < format.size()) {
    if (format.compare(pos, 2, "{{") == 0) {
      auto close = format.find("}}", pos + 2);
      if (close == std::string::npos) {
        throw InvalidArgument("template: unclosed action in \"" + format + "\"");
      }
      std::string inner = format.substr(pos + 2, close - pos - 2);
      // {{- and -}} trim the surrounding white space in Go.
      if (!inner.empty() && inner[0] == '-') {
        inner.erase(0, 1);
        while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
      }
      bool trim_after = !inner.empty() && inner.back() == '-';
      if (trim_after) inner.pop_back();
      out += action(trim(inner), value, options);
      pos = close + 2;
      if (trim_after) {
        while (pos < format.size() && std::isspace(static_cast<unsigned char>(format[pos]))) ++pos;
      }
    } else if (format.compare(pos, 2, "\\t") == 0) {
      out += '\t';
      pos += 2;
    } else if (format.compare(pos, 2, "\\n") == 0) {
      out += '\n';
      pos += 2;
    } else {
      out += format[pos++];
    }
  }
  return out;
}

}  // namespace berth::cli::client
