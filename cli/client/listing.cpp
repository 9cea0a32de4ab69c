#include "cli/client/listing.hpp"

#include "cli/client/go_template.hpp"
#include "cli/client/tab_writer.hpp"
#include "common/error.hpp"

namespace berth::cli::client {

std::string render_listing(const std::string& format, const std::vector<Json>& rows,
                           const ListingStyle& style) {
  std::string chosen = format.empty() || format == "table" ? style.default_table : format;
  std::string out;
  if (chosen == "json") {
    for (const auto& row : rows) out += row.dump() + "\n";
    return out;
  }
  const bool table = chosen.rfind("table", 0) == 0;
  if (table) {
    chosen = chosen.substr(5);
    auto first = chosen.find_first_not_of(' ');
    chosen = first == std::string::npos ? "" : chosen.substr(first);
    Json header = Json::object();
    for (const auto& [field, title] : style.headers) header[field] = title;
    // Fields without a title (functions, labels) head their column with nothing, as docker's.
    auto line = render_go_template(chosen, header);
    for (auto at = line.find("<no value>"); at != std::string::npos; at = line.find("<no value>")) {
      line.erase(at, 10);
    }
    out += line + "\n";
  }
  TemplateOptions strict;
  strict.strict_fields = true;
  for (const auto& row : rows) out += render_go_template(chosen, row, strict) + "\n";
  return table ? tabwrite(out) : out;
}

std::string filters_query(const std::vector<std::string>& filters) {
  if (filters.empty()) return "";
  Json json = Json::object();
  for (const auto& filter : filters) {
    auto eq = filter.find('=');
    if (eq == std::string::npos) {
      throw InvalidArgument("bad format of filter (expected name=value)");
    }
    json[filter.substr(0, eq)][filter.substr(eq + 1)] = true;
  }
  return json.dump();
}

}  // namespace berth::cli::client
