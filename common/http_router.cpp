#include "common/http_router.hpp"

#include <cctype>

namespace berth::http {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::string percent_encode(std::string_view text, bool space_as_plus) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.push_back(percent_decode(path.substr(start, end - start)));
    start = end + 1;
  }
  return parts;
}

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  Route route{std::move(method), {}, std::move(handler)};
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view part = pattern.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    Segment seg;
    if (part.front() == '{' && part.back() == '}') {
      part = part.substr(1, part.size() - 2);
      seg.kind = Segment::Kind::param;
      if (!part.empty() && part.back() == '*') {
        seg.kind = Segment::Kind::greedy;
        part.remove_suffix(1);
      }
    }
    seg.text = std::string(part);
    route.segments.push_back(std::move(seg));
  }
  routes_.push_back(std::move(route));
}

bool Router::match_segments(const std::vector<Segment>& pattern, size_t pi,
                            const std::vector<std::string>& parts, size_t si, PathParams& params) {
  if (pi == pattern.size()) return si == parts.size();
  if (si == parts.size()) return false;
  const Segment& seg = pattern[pi];
  switch (seg.kind) {
    case Segment::Kind::literal:
      return seg.text == parts[si] && match_segments(pattern, pi + 1, parts, si + 1, params);
    case Segment::Kind::param:
      params[seg.text] = parts[si];
      return match_segments(pattern, pi + 1, parts, si + 1, params);
    case Segment::Kind::greedy: {
      // Longest capture first: a name may itself end in a segment that looks like a route suffix
      // only when nothing shorter fits.
      const size_t remaining_pattern = pattern.size() - pi - 1;
      if (parts.size() - si < remaining_pattern + 1) return false;
      for (size_t end = parts.size() - remaining_pattern; end > si; --end) {
        std::string joined = parts[si];
        for (size_t k = si + 1; k < end; ++k) joined += "/" + parts[k];
        params[seg.text] = joined;
        if (match_segments(pattern, pi + 1, parts, end, params)) return true;
      }
      return false;
    }
  }
  return false;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  const auto parts = split_path(path);
  for (const Route& route : routes_) {
    PathParams params;
    if (!match_segments(route.segments, 0, parts, 0, params)) continue;
    if (route.method != method && !(method == "HEAD" && route.method == "GET")) {
      result.path_known = true;
      continue;
    }
    if (route.method != method && result.handler) continue;  // prefer an explicit HEAD route
    result.handler = &route.handler;
    result.params = std::move(params);
    if (route.method == method) return result;
  }
  return result;
}

}  // namespace berth::http
