#include "cli/template_format.hpp"

#include "common/error.hpp"

namespace berth::cli {

namespace {

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

std::string lookup(const std::string& expression, const Json& value) {
  if (expression == ".") return value.is_string() ? value.get<std::string>() : value.dump();
  if (expression.empty() || expression.front() != '.') {
    throw InvalidArgument("unsupported --format expression \"{{" + expression +
                          "}}\": only field paths such as {{.Name}} are supported");
  }
  const Json* node = &value;
  std::size_t pos = 1;
  while (pos <= expression.size()) {
    auto dot = expression.find('.', pos);
    auto key = expression.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    const Json* next = node->is_object() ? find_field(*node, key) : nullptr;
    if (next == nullptr) {
      if (node->is_object() && node->contains(key)) return "<no value>";
      throw InvalidArgument("--format: unknown field \"" + expression + "\"");
    }
    node = next;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return node->is_string() ? node->get<std::string>() : node->dump();
}

}  // namespace

std::string render_template(const std::string& format, const Json& value) {
  std::string out;
  std::size_t pos = 0;
  while (pos < format.size()) {
    if (format.compare(pos, 2, "{{") == 0) {
      auto close = format.find("}}", pos + 2);
      if (close == std::string::npos) {
        throw InvalidArgument("--format: \"{{\" without a closing \"}}\" in \"" + format + "\"");
      }
      out += lookup(trim(format.substr(pos + 2, close - pos - 2)), value);
      pos = close + 2;
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

}  // namespace berth::cli
