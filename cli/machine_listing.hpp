#pragma once
// The rows of `berth machine ls`, their filters and their output forms, apart from how the rows are
// queried so that all of it can be tested on made-up rows.
#include <map>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace berth::cli {

struct MachineRow {
  std::string name;
  bool active = false;
  std::string driver;
  std::string state;
  std::string url;
  std::string engine;
  std::string error;
};

// ACTIVE is the machine whose URL is DOCKER_HOST.
void mark_active(std::vector<MachineRow>& rows, const std::string& docker_host);

// "key=value" → key → accepted values. Keys: name, driver, state, active. InvalidArgument
// otherwise.
using LsFilters = std::map<std::string, std::vector<std::string>>;
LsFilters parse_ls_filters(const std::vector<std::string>& filters);
// A row passes when, for every key, one of its values matches (case-insensitively for state).
std::vector<MachineRow> apply_ls_filters(const std::vector<MachineRow>& rows,
                                         const LsFilters& filters);

// docker-machine's field names: Name, Active, DriverName, State, URL, DockerVersion, Error.
Json row_to_json(const MachineRow& row);
// The table (NAME ACTIVE DRIVER STATE URL ENGINE ERRORS), names only (quiet), a JSON array
// (format "json") or one template line per row.
std::string render_ls(const std::vector<MachineRow>& rows, bool quiet, const std::string& format);

}  // namespace berth::cli
