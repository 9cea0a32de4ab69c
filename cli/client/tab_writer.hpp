#pragma once
// Go's text/tabwriter as docker configures it for its tables: cells end with '\t', a column is as
// wide as its widest cell plus padding (at least minwidth), computed over each block of
// consecutive lines that have that column, exactly as Go nests column blocks. The last cell of a
// line is not a column and is never padded.
#include <string>

namespace berth::cli::client {

struct TabWriterStyle {
  std::size_t min_width = 10;  // docker's tables: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
  std::size_t padding = 3;
};

std::string tabwrite(const std::string& text, TabWriterStyle style = {});

}  // namespace berth::cli::client
