#pragma once
// The `filters` of GET /images/json and POST /images/prune, with docker's semantics: values of
// one key are OR'ed, keys are AND'ed; unknown keys and malformed values are a 400.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/images/image_store.hpp"

namespace berth::engine {

class ImageFilter {
 public:
  // `allowed`: the keys this endpoint accepts. `created_of` resolves before/since references to
  // the creation time (Unix seconds) of the image they name.
  static ImageFilter parse(const std::string& filters_json, const std::vector<std::string>& allowed,
                           const std::function<int64_t(const std::string&)>& created_of);

  std::optional<bool> dangling() const { return dangling_; }
  bool has_reference_filter() const { return !references_.empty(); }
  // Everything but `dangling` and `reference`, which change how the list is built.
  bool matches(const Image& image) const;
  // Docker's reference.FamiliarMatch: a glob on "name:tag" or on the name alone.
  bool reference_matches(const std::string& familiar_ref) const;

 private:
  std::optional<bool> dangling_;
  std::vector<std::string> references_;
  std::vector<std::string> labels_, not_labels_;
  std::optional<int64_t> before_, since_, until_;
};

}  // namespace berth::engine
