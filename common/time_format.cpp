#include "common/time_format.hpp"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>

#include "common/error.hpp"
#include "common/go_quote.hpp"

namespace berth {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

// Seconds since the epoch that still fit system_clock's int64 nanoseconds (years 1677-2262).
constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;

struct Civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::int64_t nanos = 0;
  int digits = 0;  // number of fractional digits written by format_utc
};

Civil to_utc(TimePoint time) {
  auto since_epoch = std::chrono::duration_cast<nanoseconds>(time.time_since_epoch());
  auto days = std::chrono::floor<std::chrono::days>(since_epoch);
  std::chrono::year_month_day date{std::chrono::sys_days{days}};
  std::chrono::hh_mm_ss clock{since_epoch - days};
  Civil c;
  c.year = static_cast<int>(date.year());
  c.month = static_cast<int>(static_cast<unsigned>(date.month()));
  c.day = static_cast<int>(static_cast<unsigned>(date.day()));
  c.hour = static_cast<int>(clock.hours().count());
  c.minute = static_cast<int>(clock.minutes().count());
  c.second = static_cast<int>(clock.seconds().count());
  c.nanos = clock.subseconds().count();
  return c;
}

std::string format_utc(TimePoint time, int fraction_digits, bool trim_zeros) {
  Civil c = to_utc(time);
  char text[64];
  int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day,
                        c.hour, c.minute, c.second);
  std::string out(text, static_cast<std::size_t>(n));
  if (fraction_digits > 0) {
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, "%09lld", static_cast<long long>(c.nanos));
    std::string digits(fraction, static_cast<std::size_t>(fraction_digits));
    if (trim_zeros) digits.erase(digits.find_last_not_of('0') + 1);
    if (!digits.empty()) out += "." + digits;
  }
  return out + "Z";
}

// A small cursor over the text being parsed; every accessor fails soft so the caller reports one
// error naming the whole value.
struct Cursor {
  std::string_view text;
  std::size_t pos = 0;

  bool done() const { return pos == text.size(); }
  bool peek(char c) const { return pos < text.size() && text[pos] == c; }
  bool take(char c) {
    if (!peek(c)) return false;
    ++pos;
    return true;
  }
  // Exactly `width` decimal digits.
  std::optional<int> number(int width) {
    if (pos + static_cast<std::size_t>(width) > text.size()) return std::nullopt;
    int value = 0;
    for (int i = 0; i < width; ++i) {
      char c = text[pos + static_cast<std::size_t>(i)];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos += static_cast<std::size_t>(width);
    return value;
  }
  // One or more digits as nanoseconds; digits past the ninth are dropped, as Go does.
  std::optional<std::int64_t> fraction() {
    std::int64_t nanos = 0;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = std::min(digits, 9); i < 9; ++i) nanos *= 10;
    return nanos;
  }
};

struct ParsedTime {
  Civil civil;
  std::optional<int> offset_seconds;  // absent: local time
};

// date ['T' hh [':' mm [':' ss ['.' fraction]]]] [zone]; `strict` demands the full RFC3339 form.
std::optional<ParsedTime> parse_date_time(std::string_view text, bool strict) {
  Cursor in{text};
  ParsedTime parsed;
  Civil& c = parsed.civil;
  auto year = in.number(4);
  if (!year || !in.take('-')) return std::nullopt;
  auto month = in.number(2);
  if (!month || !in.take('-')) return std::nullopt;
  auto day = in.number(2);
  if (!day) return std::nullopt;
  c.year = *year, c.month = *month, c.day = *day;
  int time_fields = 0;
  if (in.take('T') || in.take('t')) {
    auto hour = in.number(2);
    if (!hour) return std::nullopt;
    c.hour = *hour, time_fields = 1;
    if (in.take(':')) {
      auto minute = in.number(2);
      if (!minute) return std::nullopt;
      c.minute = *minute, time_fields = 2;
      if (in.take(':')) {
        auto second = in.number(2);
        if (!second) return std::nullopt;
        c.second = *second, time_fields = 3;
        if (in.take('.')) {
          auto nanos = in.fraction();
          if (!nanos) return std::nullopt;
          c.nanos = *nanos;
        }
      }
    }
  }
  if (in.take('Z') || in.take('z')) {
    parsed.offset_seconds = 0;
  } else if (in.peek('+') || in.peek('-')) {
    int sign = in.peek('-') ? -1 : 1;
    ++in.pos;
    auto hours = in.number(2);
    if (!hours || !in.take(':')) return std::nullopt;
    auto minutes = in.number(2);
    if (!minutes || *hours > 23 || *minutes > 59) return std::nullopt;
    parsed.offset_seconds = sign * (*hours * 3600 + *minutes * 60);
  }
  if (!in.done() || (strict && (time_fields != 3 || !parsed.offset_seconds))) return std::nullopt;
  if (c.hour > 23 || c.minute > 59 || c.second > 59) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year{c.year}, std::chrono::month(c.month),
                                   std::chrono::day(c.day)};
  if (!date.ok()) return std::nullopt;
  return parsed;
}

std::optional<TimePoint> make_time_point(std::int64_t secs, std::int64_t nanos) {
  if (secs > kMaxSeconds || secs < -kMaxSeconds) return std::nullopt;
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(seconds(secs) + nanoseconds(nanos)));
}

std::optional<TimePoint> to_time_point(const ParsedTime& parsed) {
  const Civil& c = parsed.civil;
  std::int64_t secs;
  if (parsed.offset_seconds) {
    std::chrono::year_month_day date{std::chrono::year{c.year}, std::chrono::month(c.month),
                                     std::chrono::day(c.day)};
    std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
    secs = days * 86400 + c.hour * 3600 + c.minute * 60 + c.second - *parsed.offset_seconds;
  } else {
    // No zone: the docker CLI reads these in the local zone; mktime applies it, DST included.
    std::tm tm{};
    tm.tm_year = c.year - 1900, tm.tm_mon = c.month - 1, tm.tm_mday = c.day;
    tm.tm_hour = c.hour, tm.tm_min = c.minute, tm.tm_sec = c.second, tm.tm_isdst = -1;
    secs = static_cast<std::int64_t>(std::mktime(&tm));
  }
  return make_time_point(secs, c.nanos);
}

// "seconds[.fraction]" as the docker CLI passes timestamps to the daemon.
std::optional<TimePoint> parse_unix_timestamp(std::string_view text) {
  Cursor in{text};
  std::int64_t secs = 0;
  std::size_t digits = 0;
  while (!in.done() && text[in.pos] >= '0' && text[in.pos] <= '9') {
    if (secs > kMaxSeconds / 10) return std::nullopt;
    secs = secs * 10 + (text[in.pos++] - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  std::int64_t nanos = 0;
  if (in.take('.')) {
    auto fraction = in.fraction();
    if (!fraction) return std::nullopt;
    nanos = *fraction;
  }
  if (!in.done()) return std::nullopt;
  return make_time_point(secs, nanos);
}

}  // namespace

std::chrono::nanoseconds parse_go_duration(std::string_view text) {
  auto invalid = [&](const char* why) {
    return InvalidArgument("invalid duration \"" + std::string(text) + "\": " + why);
  };
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return nanoseconds(0);
  if (rest.empty()) throw invalid("empty");
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::uint64_t total = 0;
  while (!rest.empty()) {
    std::uint64_t whole = 0;
    std::size_t whole_digits = 0;
    while (!rest.empty() && is_digit(rest[0])) {
      if (whole > (kLimit - 9) / 10) throw invalid("overflow");
      whole = whole * 10 + static_cast<std::uint64_t>(rest[0] - '0');
      rest.remove_prefix(1);
      ++whole_digits;
    }
    long double fraction = 0, scale = 1;
    std::size_t fraction_digits = 0;
    if (!rest.empty() && rest[0] == '.') {
      rest.remove_prefix(1);
      while (!rest.empty() && is_digit(rest[0])) {
        scale *= 10;
        fraction += static_cast<long double>(rest[0] - '0') / scale;
        rest.remove_prefix(1);
        ++fraction_digits;
      }
    }
    if (whole_digits == 0 && fraction_digits == 0) throw invalid("expected a number");
    std::size_t unit_length = 0;
    while (unit_length < rest.size() && !is_digit(rest[unit_length]) && rest[unit_length] != '.') {
      ++unit_length;
    }
    std::string_view unit_name = rest.substr(0, unit_length);
    rest.remove_prefix(unit_length);
    std::uint64_t unit;
    if (unit_name == "ns")
      unit = 1;
    else if (unit_name == "us" || unit_name == "\u00b5s" || unit_name == "\u03bcs")
      unit = 1'000;
    else if (unit_name == "ms")
      unit = 1'000'000;
    else if (unit_name == "s")
      unit = 1'000'000'000;
    else if (unit_name == "m")
      unit = 60'000'000'000;
    else if (unit_name == "h")
      unit = 3'600'000'000'000;
    else if (unit_name.empty())
      throw invalid("missing unit (ns, us, ms, s, m or h)");
    else
      throw invalid("unknown unit");
    if (whole > kLimit / unit) throw invalid("overflow");
    std::uint64_t value = whole * unit + static_cast<std::uint64_t>(fraction * unit);
    if (value > kLimit || total > kLimit - value) throw invalid("overflow");
    total += value;
  }
  if (!negative && total == kLimit) throw invalid("overflow");
  return nanoseconds(negative ? static_cast<std::int64_t>(0 - total)
                              : static_cast<std::int64_t>(total));
}

std::string rfc3339_nano(TimePoint time) {
  return format_utc(time, 9, true);
}

std::string rfc3339_millis(TimePoint time) {
  return format_utc(time, 3, false);
}

TimePoint parse_rfc3339(std::string_view text) {
  auto parsed = parse_date_time(text, true);
  auto time = parsed ? to_time_point(*parsed) : std::nullopt;
  if (!time) {
    throw InvalidArgument("invalid RFC3339 time \"" + std::string(text) +
                          "\" (expected e.g. 2006-01-02T15:04:05.999999999Z)");
  }
  return *time;
}

TimePoint parse_docker_time(std::string_view text, TimePoint now) {
  // "0" is the Unix epoch, not a zero duration, as in the docker CLI.
  if (text != "0") {
    try {
      return now - std::chrono::duration_cast<TimePoint::duration>(parse_go_duration(text));
    } catch (const InvalidArgument&) {
    }
  }
  if (text.find('-') != std::string_view::npos) {
    auto parsed = parse_date_time(text, false);
    if (auto time = parsed ? to_time_point(*parsed) : std::nullopt) return *time;
    throw InvalidArgument("invalid time \"" + std::string(text) +
                          "\": expected RFC3339 like 2006-01-02T15:04:05Z");
  }
  if (auto time = parse_unix_timestamp(text)) return *time;
  // dockerd's text (GetTimestamp), which the docker CLI also prints for a bad --since/--until.
  throw InvalidArgument("failed to parse value as time or duration: " + go_quote(text));
}

std::string milliseconds_text(std::chrono::nanoseconds duration) {
  const auto tenths = std::chrono::duration_cast<std::chrono::microseconds>(duration).count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

}  // namespace berth
