#include "cli/machine_listing.hpp"

#include <algorithm>

#include "cli/client/go_template.hpp"
#include "common/error.hpp"

namespace berth::cli {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Column widths fitted to the contents, two spaces apart, like docker's tabwriter output.
std::string render_table(const std::vector<std::vector<std::string>>& lines) {
  std::vector<std::size_t> widths;
  for (const auto& line : lines) {
    widths.resize(std::max(widths.size(), line.size()));
    for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  std::string out;
  for (const auto& line : lines) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text += std::string(widths[i] - line[i].size() + 3, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

}  // namespace

void mark_active(std::vector<MachineRow>& rows, const std::string& docker_host) {
  for (auto& row : rows) row.active = !docker_host.empty() && row.url == docker_host;
}

LsFilters parse_ls_filters(const std::vector<std::string>& filters) {
  LsFilters parsed;
  for (const auto& filter : filters) {
    auto eq = filter.find('=');
    auto key = lower(filter.substr(0, eq));
    if (eq == std::string::npos || eq + 1 >= filter.size() ||
        (key != "name" && key != "driver" && key != "state" && key != "active")) {
      throw InvalidArgument("invalid filter \"" + filter +
                            "\": use name=NAME, driver=DRIVER, state=STATE or active=true");
    }
    parsed[key].push_back(filter.substr(eq + 1));
  }
  return parsed;
}

std::vector<MachineRow> apply_ls_filters(const std::vector<MachineRow>& rows,
                                         const LsFilters& filters) {
  std::vector<MachineRow> kept;
  for (const auto& row : rows) {
    bool pass = true;
    for (const auto& [key, values] : filters) {
      bool any = false;
      for (const auto& value : values) {
        if (key == "name") any |= row.name == value;
        if (key == "driver") any |= row.driver == value;
        if (key == "state") any |= lower(row.state) == lower(value);
        if (key == "active") any |= row.active == (lower(value) == "true");
      }
      pass &= any;
    }
    if (pass) kept.push_back(row);
  }
  return kept;
}

Json row_to_json(const MachineRow& row) {
  return Json{{"Name", row.name},         {"Active", row.active ? "*" : "-"},
              {"DriverName", row.driver}, {"State", row.state},
              {"URL", row.url},           {"DockerVersion", row.engine},
              {"Error", row.error}};
}

std::string render_ls(const std::vector<MachineRow>& rows, bool quiet, const std::string& format) {
  std::string out;
  if (quiet) {
    for (const auto& row : rows) out += row.name + "\n";
    return out;
  }
  if (format == "json") {
    Json array = Json::array();
    for (const auto& row : rows) array.push_back(row_to_json(row));
    return array.dump() + "\n";
  }
  if (!format.empty()) {
    for (const auto& row : rows)
      out += client::render_go_template(format, row_to_json(row), {true}) + "\n";
    return out;
  }
  std::vector<std::vector<std::string>> lines = {
      {"NAME", "ACTIVE", "DRIVER", "STATE", "URL", "ENGINE", "ERRORS"}};
  for (const auto& row : rows) {
    lines.push_back({row.name, row.active ? "*" : "-", row.driver, row.state, row.url,
                     row.engine.empty() ? "Unknown" : row.engine, row.error});
  }
  return render_table(lines);
}

}  // namespace berth::cli
