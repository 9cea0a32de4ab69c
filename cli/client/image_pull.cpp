#include "cli/client/image_pull.hpp"

#include <algorithm>
#include <cctype>

#include "common/error.hpp"

#include "cli/client/image_reference.hpp"

namespace berth::cli::client {

void check_reference(const std::string& reference, bool all_tags) {
  check_reference_format(reference);
  if (all_tags && !is_name_only(reference)) {
    throw InvalidArgument("tag can't be used with --all-tags/-a");
  }
}

void pull_with_progress(ClientEnv& env, const PullRequest& request, const ProgressScreen& screen) {
  const auto target = pull_target(request.reference);
  std::string query = "/images/create?fromImage=" + url_encode(target.from_image);
  if (!request.all_tags) query += "&tag=" + url_encode(target.tag);
  if (!request.platform.empty()) {
    std::string platform = request.platform;
    std::transform(platform.begin(), platform.end(), platform.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    query += "&platform=" + url_encode(platform);
  }
  auto response = env.engine().stream("POST", query, {}, {{"X-Registry-Auth", kEmptyRegistryAuth}});
  render_progress(*response, screen);
}

}  // namespace berth::cli::client
