#include "engine/images/image_filters.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/time_format.hpp"

namespace berth::engine {

namespace {

// dockerd's dangling= check: "true" wins over "false" among several values; any other lone value
// is refused with all of them as Go prints a list ("dangling=[maybe]"). 1 and 0 are accepted too,
// as image prune's filter takes them.
bool parse_bool_filter(const std::string& key, const std::vector<std::string>& values) {
  auto given = [&](const char* a, const char* b) {
    return std::any_of(values.begin(), values.end(),
                       [&](const std::string& v) { return v == a || v == b; });
  };
  if (given("true", "1")) return true;
  if (given("false", "0")) return false;
  std::string list;
  for (const auto& v : values) list += (list.empty() ? "" : " ") + v;
  throw InvalidArgument("Invalid filter '" + key + "=[" + list + "]'");
}

bool label_matches(const Image& image, const std::string& term) {
  const auto config = image.config.value("config", nlohmann::json::object());
  const auto labels = config.is_object() ? config.value("Labels", nlohmann::json::object())
                                         : nlohmann::json::object();
  if (!labels.is_object()) return false;
  const auto eq = term.find('=');
  const auto it = labels.find(term.substr(0, eq));
  if (it == labels.end()) return false;
  return eq == std::string::npos ||
         (it->is_string() && it->get<std::string>() == term.substr(eq + 1));
}

}  // namespace

ImageFilter ImageFilter::parse(const std::string& filters_json,
                               const std::vector<std::string>& allowed,
                               const std::function<int64_t(const std::string&)>& created_of) {
  ImageFilter filter;
  for (const auto& [key, values] : parse_docker_filters(filters_json)) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      throw InvalidArgument("Invalid filter '" + key + "'");
    if (key == "dangling" && !values.empty()) filter.dangling_ = parse_bool_filter(key, values);
    for (const auto& value : values) {
      if (key == "dangling") {
        continue;
      } else if (key == "reference") {
        filter.references_.push_back(value);
      } else if (key == "label") {
        filter.labels_.push_back(value);
      } else if (key == "label!") {
        filter.not_labels_.push_back(value);
      } else if (key == "before" || key == "since") {
        const int64_t created = created_of(value);
        auto& bound = key == "before" ? filter.before_ : filter.since_;
        bound = key == "before" ? std::min(bound.value_or(created), created)
                                : std::max(bound.value_or(created), created);
      } else if (key == "until") {
        const auto t = parse_docker_time(value);
        filter.until_ =
            std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
      }
    }
  }
  return filter;
}

bool ImageFilter::matches(const Image& image) const {
  if (before_ && image.created_unix >= *before_) return false;
  if (since_ && image.created_unix <= *since_) return false;
  if (until_ && image.created_unix >= *until_) return false;
  for (const auto& label : labels_)
    if (!label_matches(image, label)) return false;
  for (const auto& label : not_labels_)
    if (label_matches(image, label)) return false;
  return true;
}

bool ImageFilter::reference_matches(const std::string& familiar_ref) const {
  // Go's path.Match, like fnmatch with FNM_PATHNAME: '*' does not cross '/'.
  std::string name = familiar_ref;
  if (const auto at = name.find('@'); at != std::string::npos) name = name.substr(0, at);
  const auto slash = name.rfind('/');
  const auto colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    name = name.substr(0, colon);
  for (const auto& pattern : references_) {
    if (::fnmatch(pattern.c_str(), familiar_ref.c_str(), FNM_PATHNAME) == 0) return true;
    if (::fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0) return true;
  }
  return false;
}

}  // namespace berth::engine
