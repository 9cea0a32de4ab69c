#include "common/json.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>

#include "common/error.hpp"
#include "common/time_format.hpp"

using namespace berth;
using namespace std::chrono;

namespace {

TimePoint at(std::int64_t secs, std::int64_t nanos = 0) {
  return TimePoint(duration_cast<TimePoint::duration>(seconds(secs) + nanoseconds(nanos)));
}

// 2023-11-14T22:13:20Z
constexpr std::int64_t kNovember = 1700000000;

}  // namespace

TEST_CASE("parse_json_object names the body and the parser's complaint", "[json]") {
  CHECK(parse_json_object(R"({"Image":"alpine"})", "request body")["Image"] == "alpine");
  try {
    parse_json_object("{\"Image\": ", "request body");
    FAIL("malformed JSON parsed");
  } catch (const InvalidArgument& e) {
    std::string message = e.what();
    CHECK_THAT(message, Catch::StartsWith("invalid JSON in request body: "));
    CHECK_THAT(message, !Catch::Contains("[json.exception"));
    CHECK(message.size() > std::string("invalid JSON in request body: ").size());
  }
  CHECK_THROWS_WITH(parse_json_object("[1,2]", "container config"),
                    "container config must be a JSON object, not array");
  CHECK_THROWS_AS(parse_json_object("", "request body"), InvalidArgument);
}

TEST_CASE("typed getters return values, defaults and clear type errors", "[json]") {
  Json j = parse_json_object(R"({"Image":"alpine","Tty":true,"Memory":-5,"Big":18446744073709551615,
      "Float":1.5,"Exp":1e3,"Null":null,"Num":7})",
                             "body");
  CHECK(get_string(j, "Image") == "alpine");
  CHECK(get_string(j, "Missing", "dflt") == "dflt");
  CHECK(get_string(j, "Null", "dflt") == "dflt");
  CHECK_THROWS_WITH(get_string(j, "Num"), "field \"Num\" must be a string, not number");
  CHECK(get_bool(j, "Tty"));
  CHECK(get_bool(j, "Missing", true));
  CHECK_THROWS_WITH(get_bool(j, "Image"), "field \"Image\" must be a boolean, not string");
  CHECK(get_int64(j, "Memory") == -5);
  CHECK(get_int64(j, "Num") == 7);
  CHECK(get_int64(j, "Missing", 99) == 99);
  CHECK_THROWS_WITH(get_int64(j, "Float"), Catch::Contains("\"Float\" must be an integer"));
  CHECK_THROWS_AS(get_int64(j, "Exp"), InvalidArgument);
  CHECK_THROWS_WITH(get_int64(j, "Big"), Catch::Contains("out of range"));
}

TEST_CASE("field lookup is case-insensitive like Go, preferring an exact match", "[json]") {
  Json j = parse_json_object(R"({"image":"lower","workingdir":"/w","HOSTNAME":"h"})", "body");
  CHECK(get_string(j, "Image") == "lower");
  CHECK(get_string(j, "WorkingDir") == "/w");
  Json both = parse_json_object(R"({"image":"lower","Image":"exact"})", "body");
  CHECK(get_string(both, "Image") == "exact");
}

TEST_CASE("string arrays accept a string or an array", "[json]") {
  Json j = parse_json_object(
      R"({"Cmd":["echo","hi"],"Entrypoint":"/bin/sh","Env":null,"Bad":[1],"Obj":{}})", "body");
  CHECK(get_string_array(j, "Cmd") == std::vector<std::string>{"echo", "hi"});
  CHECK(get_string_array(j, "Entrypoint") == std::vector<std::string>{"/bin/sh"});
  CHECK(get_string_array(j, "Env").empty());
  CHECK(get_string_array(j, "Missing").empty());
  CHECK_THROWS_WITH(get_string_array(j, "Bad"), Catch::Contains("\"Bad\" must be a string or an"));
  CHECK_THROWS_AS(get_string_array(j, "Obj"), InvalidArgument);

  Json labels = parse_json_object(R"({"Labels":{"a":"1","b":""},"Bad":{"x":2}})", "body");
  CHECK(get_string_map(labels, "Labels") ==
        std::map<std::string, std::string>{{"a", "1"}, {"b", ""}});
  CHECK_THROWS_WITH(get_string_map(labels, "Bad"), Catch::Contains("\"x\" is number"));
}

TEST_CASE("rfc3339 formatting matches Go's RFC3339Nano", "[json][time]") {
  CHECK(rfc3339_nano(at(kNovember, 123456789)) == "2023-11-14T22:13:20.123456789Z");
  CHECK(rfc3339_nano(at(kNovember, 120000000)) == "2023-11-14T22:13:20.12Z");
  CHECK(rfc3339_nano(at(kNovember)) == "2023-11-14T22:13:20Z");
  CHECK(rfc3339_nano(at(0, -1)) == "1969-12-31T23:59:59.999999999Z");
  CHECK(rfc3339_millis(at(kNovember, 120000000)) == "2023-11-14T22:13:20.120Z");
  CHECK(rfc3339_millis(at(kNovember)) == "2023-11-14T22:13:20.000Z");
}

TEST_CASE("parse_rfc3339 accepts zones and fractions and rejects the rest", "[json][time]") {
  CHECK(parse_rfc3339("2023-11-14T22:13:20.123456789Z") == at(kNovember, 123456789));
  CHECK(parse_rfc3339("2023-11-14T22:13:20Z") == at(kNovember));
  CHECK(parse_rfc3339("2023-11-14T23:13:20.5+01:00") == at(kNovember, 500000000));
  CHECK(parse_rfc3339("2023-11-14T17:13:20-05:00") == at(kNovember));
  CHECK(parse_rfc3339("2023-11-14t22:13:20z") == at(kNovember));
  CHECK(parse_rfc3339("2023-11-14T22:13:20.1234567891Z") == at(kNovember, 123456789));
  CHECK(parse_rfc3339(rfc3339_nano(at(kNovember, 7))) == at(kNovember, 7));
  for (const char* bad : {"2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13Z",
                          "2023-02-30T00:00:00Z", "2023-11-14T24:00:00Z", "2023-11-14T22:13:20.Z",
                          "2023-11-14T22:13:20Zjunk", "0001-01-01T00:00:00Z", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_rfc3339(bad), InvalidArgument);
  }
  CHECK_THROWS_WITH(parse_rfc3339("yesterday"), Catch::Contains("\"yesterday\""));
}

TEST_CASE("milliseconds_text gives milliseconds with one decimal", "[time]") {
  CHECK(milliseconds_text(microseconds(12345)) == "12.3");
  CHECK(milliseconds_text(microseconds(99)) == "0.0");
  CHECK(milliseconds_text(seconds(2)) == "2000.0");
}

TEST_CASE("Go durations parse like time.ParseDuration", "[json][time]") {
  CHECK(parse_go_duration("10m") == minutes(10));
  CHECK(parse_go_duration("1h30m") == minutes(90));
  CHECK(parse_go_duration("2s") == seconds(2));
  CHECK(parse_go_duration("1.5h") == minutes(90));
  CHECK(parse_go_duration("300ms") == milliseconds(300));
  CHECK(parse_go_duration("-2s") == seconds(-2));
  CHECK(parse_go_duration("+.5s") == milliseconds(500));
  CHECK(parse_go_duration("1us") == microseconds(1));
  CHECK(parse_go_duration("1\u00b5s") == microseconds(1));
  CHECK(parse_go_duration("1h2m3s4ms5us6ns") ==
        hours(1) + minutes(2) + seconds(3) + milliseconds(4) + microseconds(5) + nanoseconds(6));
  CHECK(parse_go_duration("0") == nanoseconds(0));
  for (const char* bad : {"", "10", "1x", ".", "s", "1h-", "-", "9999999999h", "1.5"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_go_duration(bad), InvalidArgument);
  }
}

TEST_CASE("parse_docker_time reads --since/--until values", "[json][time]") {
  const TimePoint now = at(kNovember, 250);
  CHECK(parse_docker_time("10m", now) == now - minutes(10));
  CHECK(parse_docker_time("1h30m", now) == now - minutes(90));
  CHECK(parse_docker_time("2s", now) == now - seconds(2));
  CHECK(parse_docker_time("1700000000", now) == at(kNovember));
  CHECK(parse_docker_time("1700000000.123456789", now) == at(kNovember, 123456789));
  CHECK(parse_docker_time("1700000000.5", now) == at(kNovember, 500000000));
  CHECK(parse_docker_time("0", now) == at(0));
  CHECK(parse_docker_time("2023-11-14T22:13:20.000000001Z", now) == at(kNovember, 1));
  CHECK(parse_docker_time("2023-11-14T23:13:20+01:00", now) == at(kNovember));
  CHECK(parse_docker_time("2023-11-14T22:13Z", now) == at(kNovember - 20));
  CHECK(parse_docker_time("2023-11-14Z", now) == at(kNovember - (22 * 3600 + 13 * 60 + 20)));
  for (const char* bad : {"yesterday", "2023-13-01", "1700000000.", "12:00", "-5", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_docker_time(bad, now), InvalidArgument);
  }
  CHECK_THROWS_WITH(parse_docker_time("soon", now), Catch::Contains("\"soon\""));
  // dockerd's (and the docker CLI's) text for a value that is no time, duration or timestamp.
  CHECK_THROWS_WITH(parse_docker_time("bad", now),
                    "failed to parse value as time or duration: \"bad\"");
  CHECK_THROWS_WITH(parse_docker_time("a\"b", now),
                    "failed to parse value as time or duration: \"a\\\"b\"");
}

TEST_CASE("parse_docker_time reads zone-less dates in the local zone", "[json][time]") {
  const char* old = std::getenv("TZ");
  std::string saved = old != nullptr ? old : "";
  ::setenv("TZ", "EST5", 1);  // UTC-5, no daylight saving
  ::tzset();
  CHECK(parse_docker_time("2023-11-14T17:13:20", at(0)) == at(kNovember));
  CHECK(parse_docker_time("2023-11-14T17:13:20.25", at(0)) == at(kNovember, 250000000));
  CHECK(parse_docker_time("2023-11-14", at(0)) == at(kNovember - (17 * 3600 + 13 * 60 + 20)));
  if (old != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}
