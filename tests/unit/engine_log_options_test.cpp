// The json-file driver's --log-opt values, read as dockerd 20.10's driver reads them. The edge
// cases here are the ones the integration test does not reach through the docker CLI.
#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "engine/containers/log_options.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;

namespace {
Container with_options(const json& options) {
  Container c;
  c.id = std::string(64, 'a');
  c.name = "/web";
  c.image = "busybox";
  c.image_id = "sha256:" + std::string(64, 'b');
  c.path = "sh";
  c.args = {"-c", "echo hi"};
  c.config = {{"Labels", {{"l", "v"}}}, {"Env", {"TAB=a\tb", "SEP=x\xE2\x80\xA8y", "NOVALUE"}}};
  c.host_config = {{"LogConfig", {{"Type", "json-file"}, {"Config", options}}}};
  return c;
}

JsonFileLogOptions options(const json& o) {
  return json_file_log_options(with_options(o), "/l");
}
}  // namespace

TEST_CASE("max-size takes go-units' decimal sizes", "[engine][logs]") {
  CHECK(options({{"max-size", "100"}}).max_size == 100);
  CHECK(options({{"max-size", "10k"}}).max_size == 10'000);
  CHECK(options({{"max-size", "64MiB"}}).max_size == 64'000'000);
  CHECK(options({{"max-size", "2P"}}).max_size == 2'000'000'000'000'000);
  CHECK(options({{"max-size", "1.5k"}}).max_size == 1500);
  CHECK(options(json::object()).max_size == -1);
  CHECK_THROWS_WITH(options({{"max-size", "1.2.3k"}}),
                    "failed to initialize logging driver: strconv.ParseFloat: parsing \"1.2.3\": "
                    "invalid syntax");
  CHECK_THROWS_AS(options({{"max-size", "5q"}}), InvalidArgument);
}

TEST_CASE("max-file is Go's Atoi, at least 1", "[engine][logs]") {
  CHECK(options({{"max-file", "+3"}}).max_files == 3);
  CHECK_THROWS_WITH(options({{"max-file", "-2"}}),
                    "failed to initialize logging driver: max-file cannot be less than 1");
  CHECK_THROWS_WITH(options({{"max-file", ""}}),
                    "failed to initialize logging driver: strconv.Atoi: parsing \"\": invalid "
                    "syntax");
  CHECK_THROWS_WITH(options({{"max-file", "99999999999999999999"}}),
                    "failed to initialize logging driver: strconv.Atoi: parsing "
                    "\"99999999999999999999\": value out of range");
}

TEST_CASE("compress is Go's ParseBool and needs max-size and two files", "[engine][logs]") {
  CHECK(options({{"compress", "T"}, {"max-size", "1k"}, {"max-file", "2"}}).compress);
  CHECK_FALSE(options({{"compress", "False"}}).compress);
  CHECK_THROWS_WITH(options({{"compress", "1"}, {"max-size", "1k"}}),
                    "failed to initialize logging driver: compress cannot be true when max-file "
                    "is less than 2 or max-size is not set");
}

TEST_CASE("attrs are written as Go's encoding/json writes a map", "[engine][logs]") {
  CHECK(options(json::object()).attrs.empty());
  CHECK(options({{"env", "TAB,SEP,NOVALUE"}, {"labels", "l"}}).attrs ==
        "{\"SEP\":\"x\\u2028y\",\"TAB\":\"a\\tb\",\"l\":\"v\"}");
  CHECK(options({{"tag", "{{.FullID}} {{ .ContainerName }} {{.Command}}"}}).attrs ==
        "{\"tag\":\"" + std::string(64, 'a') + " /web sh -c echo hi\"}");
  CHECK_THROWS_WITH(options({{"tag", "{{.Name | lower}}"}}),
                    Catch::Contains("renders fields such as {{.Name}}"));
}
