#include "cli/client/build_request.hpp"

#include <map>

#include "cli/client/engine_client.hpp"
#include "common/json.hpp"

namespace berth::cli::client {

std::string build_query(
    const BuildOptions& o,
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  std::multimap<std::string, std::string> q;  // sorted by key, values in insertion order
  if (!o.build_args.empty()) {
    Json args = Json::object();
    for (const auto& arg : o.build_args) {
      const auto eq = arg.find('=');
      if (eq != std::string::npos) {
        args[arg.substr(0, eq)] = arg.substr(eq + 1);
      } else if (auto value = getenv ? getenv(arg) : std::nullopt) {
        args[arg] = *value;
      } else {
        args[arg] = nullptr;
      }
    }
    q.emplace("buildargs", args.dump());
  }
  q.emplace("dockerfile", o.dockerfile);
  for (const auto& host : o.extra_hosts) q.emplace("extrahosts", host);
  if (o.force_remove) q.emplace("forcerm", "1");
  if (!o.labels.empty()) {
    Json labels = Json::object();
    for (const auto& label : o.labels) {
      const auto eq = label.find('=');
      labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
    }
    q.emplace("labels", labels.dump());
  }
  if (!o.network.empty()) q.emplace("networkmode", o.network);
  if (o.no_cache) q.emplace("nocache", "1");
  if (!o.platform.empty()) q.emplace("platform", o.platform);
  if (o.pull) q.emplace("pull", "1");
  if (o.quiet) q.emplace("q", "1");
  if (!o.remove) q.emplace("rm", "0");
  for (const auto& tag : o.tags) q.emplace("t", tag);
  if (!o.target.empty()) q.emplace("target", o.target);
  q.emplace("version", "1");
  std::string query;
  for (const auto& [key, value] : q) {
    query += (query.empty() ? "?" : "&") + key + "=" + url_encode(value);
  }
  return "/build" + query;
}

}  // namespace berth::cli::client
