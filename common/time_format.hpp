#pragma once
// Time text in the formats Docker's API and CLI use: RFC3339 with nanoseconds in JSON, and the
// `--since` / `--until` forms (RFC3339, Unix timestamps, Go durations).
#include <chrono>
#include <string>
#include <string_view>

namespace berth {

using TimePoint = std::chrono::system_clock::time_point;

// UTC, like Go's time.RFC3339Nano: "2024-05-01T12:00:00.1234Z" (trailing zeros and a zero fraction
// are dropped), which is what Docker puts in Created/StartedAt.
std::string rfc3339_nano(TimePoint time);
// UTC with exactly three fractional digits: "2024-05-01T12:00:00.120Z" (fixed width, for logs).
std::string rfc3339_millis(TimePoint time);

// Full RFC3339 date-time with a zone ("Z" or "+hh:mm"), any number of fractional digits (beyond
// nanoseconds truncated). Throws InvalidArgument naming the text.
TimePoint parse_rfc3339(std::string_view text);

// Go's time.ParseDuration: "300ms", "-1.5h", "1h30m", "0". Throws InvalidArgument.
std::chrono::nanoseconds parse_go_duration(std::string_view text);

// A `--since` / `--until` value, as the docker CLI reads it:
//  - a Go duration, meaning that long before `now` ("10m", "1h30m");
//  - a Unix timestamp with optional fraction ("1700000000", "1700000000.123456789");
//  - an RFC3339-like date: "2006-01-02", "2006-01-02T15", "2006-01-02T15:04",
//  "2006-01-02T15:04:05",
//    each with optional fraction and zone; without a zone the local time zone is used.
// Throws InvalidArgument naming the value.
TimePoint parse_docker_time(std::string_view text,
                            TimePoint now = std::chrono::system_clock::now());

// A duration as milliseconds with one decimal, "12.3", for timing lines in debug logs.
std::string milliseconds_text(std::chrono::nanoseconds duration);

}  // namespace berth
