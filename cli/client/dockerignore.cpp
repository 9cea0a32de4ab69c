#include "cli/client/dockerignore.hpp"

#include "common/error.hpp"

namespace berth::cli::client {

namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n\v\f");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n\v\f");
  return std::string(text.substr(first, last - first + 1));
}

bool regex_special(char c) {
  // patternmatcher's shouldEscape: regexp syntax that means nothing in filepath.Match.
  return std::string_view(".+()|{}$").find(c) != std::string_view::npos;
}

}  // namespace

std::string clean_path(std::string_view path) {
  const bool rooted = !path.empty() && path.front() == '/';
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string part(path.substr(start, end - start));
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

std::vector<std::string> parse_dockerignore(std::string_view text) {
  std::vector<std::string> patterns;
  std::size_t start = 0;
  bool first_line = true;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (first_line && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 BOM
    first_line = false;
    // Comments are recognised before trimming, as docker does: " # x" is a pattern.
    if (line.starts_with("#")) continue;
    std::string pattern = trim(line);
    if (pattern.empty()) continue;
    const bool exception = pattern[0] == '!';
    if (exception) pattern = trim(pattern.substr(1));
    if (!pattern.empty()) {
      pattern = clean_path(pattern);
      if (pattern.size() > 1 && pattern[0] == '/') pattern = pattern.substr(1);
    }
    patterns.push_back(exception ? "!" + pattern : pattern);
  }
  return patterns;
}

DockerignoreMatcher::DockerignoreMatcher(const std::vector<std::string>& patterns) {
  for (auto text : patterns) {
    text = trim(text);
    if (text.empty()) continue;
    Pattern p;
    if (text[0] == '!') {
      if (text.size() == 1) throw InvalidArgument("illegal exclusion pattern: \"!\"");
      p.exception = true;
      text = text.substr(1);
      has_exceptions_ = true;
    }
    p.text = clean_path(text);
    // The translation patternmatcher's compile() does, including its fast paths: a pattern
    // with no wildcards is an exact match, "dir/**" a prefix, "**/name" a suffix.
    std::string re = "^";
    const std::string& s = p.text;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const std::size_t token_start = i;
      const char c = s[i];
      if (c == '*') {
        if (i + 1 < s.size() && s[i + 1] == '*') {
          ++i;
          if (i + 1 < s.size() && s[i + 1] == '/') ++i;
          if (i + 1 == s.size()) {
            if (p.kind == Kind::exact) {
              p.kind = Kind::prefix;
            } else {
              re += ".*";
              p.kind = Kind::regex;
            }
          } else {
            re += "(.*/)?";
            p.kind = Kind::regex;
          }
          if (token_start == 0) p.kind = Kind::suffix;
        } else {
          re += "[^/]*";
          p.kind = Kind::regex;
        }
      } else if (c == '?') {
        re += "[^/]";
        p.kind = Kind::regex;
      } else if (regex_special(c)) {
        re += std::string("\\") + c;
      } else if (c == '\\') {
        if (i + 1 < s.size()) {
          re += std::string("\\") + s[++i];
          p.kind = Kind::regex;
        } else {
          re += "\\\\";
        }
      } else if (c == '[' || c == ']') {
        re += c;
        p.kind = Kind::regex;
      } else {
        re += c;
      }
    }
    if (p.kind == Kind::regex) {
      try {
        p.re = std::regex(re + "$", std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        throw InvalidArgument("syntax error in pattern: " + s);
      }
    }
    patterns_.push_back(std::move(p));
  }
}

bool DockerignoreMatcher::Pattern::matches(const std::string& path) const {
  switch (kind) {
    case Kind::exact:
      return path == text;
    case Kind::prefix:
      // "dir/**": everything below dir (the pattern without its "**").
      return path.starts_with(text.substr(0, text.size() - 2));
    case Kind::suffix: {
      const std::string suffix = text.substr(2);  // "**/name" → "/name"
      if (path.ends_with(suffix)) return true;
      return !suffix.empty() && suffix[0] == '/' && path == suffix.substr(1);
    }
    case Kind::regex:
      return std::regex_match(path, re);
  }
  return false;
}

bool DockerignoreMatcher::excludes(const std::string& raw_path) const {
  const std::string path = clean_path(raw_path);
  const auto slash = path.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : path.substr(0, slash);
  bool matched = false;
  for (const auto& p : patterns_) {
    // An exception only matters once something matched; a pattern only while nothing has.
    if (p.exception != matched) continue;
    bool match = p.matches(path);
    if (!match && parent != ".") {
      for (auto at = parent.find('/');; at = parent.find('/', at + 1)) {
        if (p.matches(parent.substr(0, at))) {
          match = true;
          break;
        }
        if (at == std::string::npos) break;
      }
    }
    if (match) matched = !p.exception;
  }
  return matched;
}

bool DockerignoreMatcher::may_reinclude_below(const std::string& dir) const {
  const std::string dir_slash = dir + "/";
  for (const auto& p : patterns_) {
    if (p.exception && (p.text + "/").starts_with(dir_slash)) return true;
  }
  return false;
}

}  // namespace berth::cli::client
