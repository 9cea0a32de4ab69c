#pragma once
// `images` rows: one per repository tag of each GET /images/json entry (docker's ImageContext),
// "<none>" for untagged images, short IDs, "2 weeks ago", "4.26MB".
#include <chrono>
#include <string>
#include <vector>

#include "cli/client/listing.hpp"
#include "common/json.hpp"

namespace berth::cli::client {

const ListingStyle& image_listing_style(bool digests);

std::vector<Json> image_rows(
    const Json& summary, bool truncate,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace berth::cli::client
