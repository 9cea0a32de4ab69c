#pragma once
// Maps a method and a path to a handler. Patterns are written as the Docker API documents them:
// "/containers/{id}/json" captures one segment; "{name*}" captures one or more segments, so
// "/images/{name*}/json" matches "/images/localhost:5000/team/app/json" with name =
// "localhost:5000/team/app".
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::http {

class Request;
class Response;
using Handler = std::function<void(Request&, Response&)>;
using PathParams = std::map<std::string, std::string>;

class Router {
 public:
  void add(std::string method, std::string_view pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route
    PathParams params;
    bool path_known = false;  // some route matches the path with another method (405)
  };
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    enum class Kind { literal, param, greedy } kind = Kind::literal;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
  };
  static bool match_segments(const std::vector<Segment>& pattern, size_t pi,
                             const std::vector<std::string>& parts, size_t si, PathParams& params);
  std::vector<Route> routes_;
};

// Splits "/a/b%2Fc/" into decoded segments {"a", "b/c"}; empty segments are dropped.
std::vector<std::string> split_path(std::string_view path);
std::string percent_decode(std::string_view text, bool plus_is_space = false);
// Everything but A-Z a-z 0-9 - _ . ~ as %XX; with space_as_plus a space as "+" (Go's
// url.QueryEscape).
std::string percent_encode(std::string_view text, bool space_as_plus = false);

}  // namespace berth::http
