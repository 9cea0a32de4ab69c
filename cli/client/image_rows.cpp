#include "cli/client/image_rows.hpp"

#include "cli/client/human_units.hpp"

namespace berth::cli::client {

const ListingStyle& image_listing_style(bool digests) {
  static const std::map<std::string, std::string> headers = {{"ID", "IMAGE ID"},
                                                             {"Repository", "REPOSITORY"},
                                                             {"Tag", "TAG"},
                                                             {"Digest", "DIGEST"},
                                                             {"CreatedSince", "CREATED"},
                                                             {"CreatedAt", "CREATED AT"},
                                                             {"Size", "SIZE"},
                                                             {"Containers", "CONTAINERS"},
                                                             {"SharedSize", "SHARED SIZE"},
                                                             {"UniqueSize", "UNIQUE SIZE"},
                                                             {"VirtualSize", "VIRTUAL SIZE"}};
  static const ListingStyle plain{
      "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}", headers};
  static const ListingStyle with_digests{
      "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
      headers};
  return digests ? with_digests : plain;
}

std::vector<Json> image_rows(const Json& image, bool truncate,
                             std::chrono::system_clock::time_point now) {
  const std::string full_id = get_string(image, "Id");
  const auto created = get_int64(image, "Created");
  const auto size = get_int64(image, "Size");
  const auto shared = get_int64(image, "SharedSize", -1);
  auto row = [&](const std::string& repo, const std::string& tag, const std::string& digest) {
    return Json{
        {"ID", truncate ? short_id(full_id) : full_id},
        {"Repository", repo},
        {"Tag", tag},
        {"Digest", digest},
        {"CreatedSince", time_ago(created, now)},
        {"CreatedAt", go_time_string(created)},
        {"Size", human_size(static_cast<double>(size))},
        {"Containers", get_int64(image, "Containers", -1) < 0
                           ? std::string("N/A")
                           : std::to_string(get_int64(image, "Containers"))},
        {"SharedSize", shared < 0 ? std::string("N/A") : human_size(static_cast<double>(shared))},
        {"UniqueSize",
         shared < 0 ? std::string("N/A") : human_size(static_cast<double>(size - shared))},
        {"VirtualSize", human_size(static_cast<double>(size))}};
  };
  const auto tags = get_string_array(image, "RepoTags");
  const auto digests = get_string_array(image, "RepoDigests");
  auto digest_for = [&](const std::string& repo) {
    for (const auto& d : digests) {
      auto at = d.find('@');
      if (at != std::string::npos && d.substr(0, at) == repo) return d.substr(at + 1);
    }
    return std::string("<none>");
  };
  std::vector<Json> rows;
  for (const auto& tag : tags) {
    if (tag == "<none>:<none>") continue;
    auto colon = tag.rfind(':');
    auto slash = tag.rfind('/');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
      rows.push_back(row(tag, "<none>", digest_for(tag)));
    } else {
      rows.push_back(
          row(tag.substr(0, colon), tag.substr(colon + 1), digest_for(tag.substr(0, colon))));
    }
  }
  if (rows.empty()) {
    // Untagged: named by a digest when it has one, else <none>.
    if (!digests.empty() && digests[0] != "<none>@<none>") {
      auto at = digests[0].find('@');
      rows.push_back(row(digests[0].substr(0, at), "<none>", digests[0].substr(at + 1)));
    } else {
      rows.push_back(row("<none>", "<none>", "<none>"));
    }
  }
  return rows;
}

}  // namespace berth::cli::client
