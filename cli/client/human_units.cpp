#include "cli/client/human_units.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace berth::cli::client {

std::string human_duration(std::chrono::nanoseconds elapsed) {
  using namespace std::chrono;
  const double secs = duration_cast<duration<double>>(elapsed).count();
  const auto seconds = static_cast<std::int64_t>(secs);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  const auto minutes = static_cast<std::int64_t>(secs / 60);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  const auto hours = static_cast<std::int64_t>(std::round(secs / 3600));
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(static_cast<std::int64_t>(secs / 3600) / 24 / 365) + " years";
}

std::string time_ago(std::int64_t unix_seconds, std::chrono::system_clock::time_point now) {
  auto then = std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
  return human_duration(now - then) + " ago";
}

std::string human_size(double bytes, int precision) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  std::size_t unit = 0;
  while (bytes >= 1000.0 && unit + 1 < std::size(units)) {
    bytes /= 1000.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.*g%s", precision, bytes, units[unit]);
  return text;
}

std::string go_time_string(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return text;
}

std::string ellipsis(const std::string& text, std::size_t max) {
  // Counted in UTF-8 code points, as Go counts runes.
  std::size_t runes = 0, cut = std::string::npos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (runes == (max > 0 ? max - 1 : 0)) cut = i;
    ++runes;
  }
  if (runes <= max) return text;
  if (max == 0) return "";
  return text.substr(0, cut) + "…";
}

std::string short_id(const std::string& id) {
  auto colon = id.find(':');
  auto bare = colon == std::string::npos ? id : id.substr(colon + 1);
  return bare.substr(0, 12);
}

}  // namespace berth::cli::client
