#include "cli/client/tab_writer.hpp"

#include <algorithm>
#include <vector>

namespace berth::cli::client {

namespace {

using Line = std::vector<std::string>;  // cells; all but the last were '\t'-terminated

std::size_t rune_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Go's tabwriter.format: widths for column `col` over the lines [begin, end) that have it, then
// the next column within each such block.
void format(const std::vector<Line>& lines, std::size_t begin, std::size_t end, std::size_t col,
            std::vector<std::vector<std::size_t>>& widths, const TabWriterStyle& style) {
  std::size_t line = begin;
  while (line < end) {
    if (lines[line].size() - 1 <= col) {
      ++line;
      continue;
    }
    const std::size_t block = line;
    std::size_t width = style.min_width;
    for (; line < end && lines[line].size() - 1 > col; ++line) {
      width = std::max(width, rune_width(lines[line][col]) + style.padding);
    }
    for (std::size_t i = block; i < line; ++i) widths[i][col] = width;
    format(lines, block, line, col + 1, widths, style);
  }
}

}  // namespace

std::string tabwrite(const std::string& text, TabWriterStyle style) {
  std::vector<Line> lines;
  std::size_t start = 0;
  const bool trailing_newline = !text.empty() && text.back() == '\n';
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    std::string raw = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    Line cells;
    std::size_t pos = 0;
    for (auto tab = raw.find('\t'); tab != std::string::npos; tab = raw.find('\t', pos)) {
      cells.push_back(raw.substr(pos, tab - pos));
      pos = tab + 1;
    }
    cells.push_back(raw.substr(pos));
    lines.push_back(std::move(cells));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::vector<std::vector<std::size_t>> widths(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) widths[i].assign(lines[i].size(), 0);
  format(lines, 0, lines.size(), 0, widths, style);
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    for (std::size_t c = 0; c < lines[i].size(); ++c) {
      out += lines[i][c];
      if (c + 1 < lines[i].size()) out.append(widths[i][c] - rune_width(lines[i][c]), ' ');
    }
    if (i + 1 < lines.size() || trailing_newline) out += '\n';
  }
  return out;
}

}  // namespace berth::cli::client
