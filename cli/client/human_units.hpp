#pragma once
// How docker prints times and sizes to people (github.com/docker/go-units): "2 minutes",
// "About an hour", "4.26MB", and the engine's timestamps in the forms its tables use.
#include <chrono>
#include <cstdint>
#include <string>

namespace berth::cli::client {

// go-units HumanDuration: "Less than a second", "1 second", "5 seconds", "About a minute",
// "3 minutes", "About an hour", "5 hours", "3 days", "2 weeks", "4 months", "2 years".
std::string human_duration(std::chrono::nanoseconds duration);
// "5 seconds ago" for a Unix time (ps CREATED, images CREATED).
std::string time_ago(std::int64_t unix_seconds,
                     std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// go-units HumanSizeWithPrecision(size, precision): decimal units, Go's %.{precision}g.
std::string human_size(double bytes, int precision = 3);
// Go's time.Time.String() for a Unix time in the local zone: "2024-05-01 12:00:00 +0000 UTC"
// (ps/images CreatedAt).
std::string go_time_string(std::int64_t unix_seconds);
// Shortens to `max` runes, ending with "…" when cut (docker's formatter.Ellipsis).
std::string ellipsis(const std::string& text, std::size_t max);
// The first 12 hex digits of an ID, "sha256:" dropped (stringid.TruncateID).
std::string short_id(const std::string& id);

}  // namespace berth::cli::client
