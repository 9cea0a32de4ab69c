#pragma once
// "a,,b" → {"a", "", "b"}: every part between separators, empty ones included ("" → {""}), as
// Go's strings.Split, which the formats berth reads from Docker (mount modes, option lists) follow.
#include <string>
#include <string_view>
#include <vector>

namespace berth {

inline std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t at = text.find(separator, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

}  // namespace berth
