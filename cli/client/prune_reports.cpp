#include "cli/client/prune_reports.hpp"

#include <istream>

#include "cli/client/go_template.hpp"
#include "cli/client/human_units.hpp"
#include "cli/client/listing.hpp"

namespace berth::cli::client {

namespace {

std::string query_of(std::vector<std::string> filters, const std::string& extra = "") {
  std::string query;
  if (auto f = filters_query(filters); !f.empty()) query = "?filters=" + url_encode(f);
  if (!extra.empty()) query += (query.empty() ? "?" : "&") + extra;
  return query;
}

// "Deleted Containers:\n" and one line per entry, "" when the list is empty or null.
std::string deleted_block(const std::string& title, const Json& result, const char* key) {
  const Json* list = find_field(result, key);
  if (list == nullptr || !list->is_array() || list->empty()) return "";
  std::string out = title + "\n";
  for (const auto& item : *list) out += go_value_text(item) + "\n";
  return out;
}

}  // namespace

PruneReport prune_containers(ClientEnv& env, const std::vector<std::string>& filters) {
  auto result = env.engine().call_json("POST", "/containers/prune" + query_of(filters));
  return {deleted_block("Deleted Containers:", result, "ContainersDeleted"),
          get_int64(result, "SpaceReclaimed")};
}

PruneReport prune_networks(ClientEnv& env, const std::vector<std::string>& filters) {
  auto result = env.engine().call_json("POST", "/networks/prune" + query_of(filters));
  return {deleted_block("Deleted Networks:", result, "NetworksDeleted"), 0};
}

PruneReport prune_volumes(ClientEnv& env, bool all, const std::vector<std::string>& filters) {
  auto with_all = filters;
  if (all) with_all.push_back("all=true");
  auto result = env.engine().call_json("POST", "/volumes/prune" + query_of(with_all));
  return {deleted_block("Deleted Volumes:", result, "VolumesDeleted"),
          get_int64(result, "SpaceReclaimed")};
}

PruneReport prune_images(ClientEnv& env, bool all, const std::vector<std::string>& filters) {
  auto with_dangling = filters;
  with_dangling.push_back(all ? "dangling=false" : "dangling=true");
  auto result = env.engine().call_json("POST", "/images/prune" + query_of(with_dangling));
  PruneReport report{"", get_int64(result, "SpaceReclaimed")};
  const Json* items = find_field(result, "ImagesDeleted");
  if (items != nullptr && items->is_array() && !items->empty()) {
    report.output = "Deleted Images:\n";
    for (const auto& item : *items) {
      const std::string untagged = get_string(item, "Untagged");
      report.output += untagged.empty() ? "deleted: " + get_string(item, "Deleted") + "\n"
                                        : "untagged: " + untagged + "\n";
    }
  }
  return report;
}

PruneReport prune_build_cache(ClientEnv& env, bool all, const std::vector<std::string>& filters) {
  auto result =
      env.engine().call_json("POST", "/build/prune" + query_of(filters, all ? "all=1" : ""));
  return {deleted_block("Deleted build cache objects:", result, "CachesDeleted"),
          get_int64(result, "SpaceReclaimed")};
}

bool confirmed(ClientEnv& env, const std::string& warning) {
  env.out() << warning << " [y/N] ";
  env.out().flush();
  std::string answer;
  std::getline(*env.ctx.in, answer);
  const auto first = answer.find_first_not_of(" \t\r");
  const auto last = answer.find_last_not_of(" \t\r");
  answer = first == std::string::npos ? "" : answer.substr(first, last - first + 1);
  return answer == "y" || answer == "Y";
}

std::string total_reclaimed_line(std::int64_t bytes) {
  return "Total reclaimed space: " + human_size(static_cast<double>(bytes));
}

void print_deleted(ClientEnv& env, const PruneReport& report) {
  if (!report.output.empty()) env.out() << report.output << "\n";
}

void print_prune_result(ClientEnv& env, const PruneReport& report) {
  print_deleted(env, report);
  env.out() << total_reclaimed_line(report.reclaimed) << "\n";
}

}  // namespace berth::cli::client
