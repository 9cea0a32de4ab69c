#pragma once
// docker's --format for listings (ps, images, history): "table" (the default columns), "json"
// (one JSON object per row), "table TEMPLATE" (a header row of column names, then rows) or a bare
// TEMPLATE (rows only). Rows are JSON objects of strings, the fields docker's row contexts offer.
#include <map>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace berth::cli::client {

struct ListingStyle {
  std::string default_table;                   // "table {{.ID}}\t{{.Image}}…"
  std::map<std::string, std::string> headers;  // field → column title ("ID" → "CONTAINER ID")
};

std::string render_listing(const std::string& format, const std::vector<Json>& rows,
                           const ListingStyle& style);

// Docker's --filter key=value flags as the `filters` query value {"key":{"value":true}}.
// Throws InvalidArgument for a filter without '='.
std::string filters_query(const std::vector<std::string>& filters);

}  // namespace berth::cli::client
