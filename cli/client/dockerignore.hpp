#pragma once
// .dockerignore as the docker CLI reads and applies it (github.com/moby/patternmatcher and its
// ignorefile): '#' comments, blank lines skipped, patterns cleaned like filepath.Clean with a
// leading '/' dropped, '!' for exceptions, '*' and '?' within one path element, '**' across
// elements, '[…]' classes, '\' escapes. The last pattern that matches a path (or one of its parent
// directories) decides.
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli::client {

// The patterns of a .dockerignore file, in order, exceptions keeping their '!'.
std::vector<std::string> parse_dockerignore(std::string_view text);

// filepath.Clean for slash-separated paths: "a//b/./c/../d/" → "a/b/d", "" → ".".
std::string clean_path(std::string_view path);

class DockerignoreMatcher {
 public:
  // Throws InvalidArgument for a pattern that cannot be compiled ("[a-").
  explicit DockerignoreMatcher(const std::vector<std::string>& patterns);

  // True when `path` (relative to the context, '/'-separated) is excluded.
  bool excludes(const std::string& path) const;
  bool has_exceptions() const { return has_exceptions_; }
  // Whether an exception pattern could re-include something below excluded directory `dir`,
  // which decides if the walk must still look inside it.
  bool may_reinclude_below(const std::string& dir) const;

 private:
  enum class Kind { exact, prefix, suffix, regex };
  struct Pattern {
    std::string text;  // cleaned, without '!'
    bool exception = false;
    Kind kind = Kind::exact;
    std::regex re;
    bool matches(const std::string& path) const;
  };
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

}  // namespace berth::cli::client
