#pragma once
// `ps` rows: what docker's ContainerContext shows for one entry of GET /containers/json — short
// IDs, quoted and shortened commands, "5 minutes ago", grouped port ranges, names without the
// leading slash.
#include <chrono>
#include <string>

#include "cli/client/listing.hpp"
#include "common/json.hpp"

namespace berth::cli::client {

// docker ps's default columns and their titles.
const ListingStyle& container_listing_style(bool with_size);

// The row for one container summary; `truncate` is false for --no-trunc.
Json container_row(const Json& summary, bool truncate,
                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp" style, consecutive ports
// grouped into ranges.
std::string displayable_ports(const Json& ports);

}  // namespace berth::cli::client
