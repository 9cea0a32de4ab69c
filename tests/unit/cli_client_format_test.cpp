// How berth prints what docker prints: durations, sizes, tables, ps/images rows, templates.
#include <catch2/catch.hpp>

#include "cli/client/container_rows.hpp"
#include "cli/client/go_template.hpp"
#include "cli/client/human_units.hpp"
#include "cli/client/image_rows.hpp"
#include "cli/client/listing.hpp"
#include "cli/client/tab_writer.hpp"
#include "common/error.hpp"
#include "common/go_quote.hpp"

using namespace berth::cli::client;
using berth::go_quote;
using berth::Json;
using std::chrono::seconds;

TEST_CASE("human durations match go-units") {
  CHECK(human_duration(std::chrono::milliseconds(300)) == "Less than a second");
  CHECK(human_duration(seconds(1)) == "1 second");
  CHECK(human_duration(seconds(59)) == "59 seconds");
  CHECK(human_duration(seconds(60)) == "About a minute");
  CHECK(human_duration(seconds(119)) == "About a minute");
  CHECK(human_duration(seconds(120)) == "2 minutes");
  CHECK(human_duration(seconds(59 * 60)) == "59 minutes");
  CHECK(human_duration(seconds(90 * 60)) == "2 hours");  // hours are rounded
  CHECK(human_duration(seconds(60 * 60)) == "About an hour");
  CHECK(human_duration(seconds(47 * 3600)) == "47 hours");
  CHECK(human_duration(seconds(3 * 86400)) == "3 days");
  CHECK(human_duration(seconds(15 * 86400)) == "2 weeks");
  CHECK(human_duration(seconds(90 * 86400)) == "3 months");
  CHECK(human_duration(seconds(800 * 86400)) == "2 years");
}

TEST_CASE("time_ago counts from now") {
  auto now = std::chrono::system_clock::time_point(seconds(1000000));
  CHECK(time_ago(1000000 - 5, now) == "5 seconds ago");
  CHECK(time_ago(1000000 - 180, now) == "3 minutes ago");
}

TEST_CASE("human sizes use decimal units with three significant digits") {
  CHECK(human_size(0) == "0B");
  CHECK(human_size(999) == "999B");
  CHECK(human_size(1983488) == "1.98MB");
  CHECK(human_size(4260000) == "4.26MB");
  CHECK(human_size(1500000000) == "1.5GB");
  CHECK(human_size(1983488, 4) == "1.983MB");
}

TEST_CASE("ellipsis and quoting follow docker's COMMAND column") {
  CHECK(ellipsis("sh -c 'while true; do echo tick; done'", 20) == "sh -c 'while true; …");
  CHECK(ellipsis("echo hi", 20) == "echo hi");
  CHECK(go_quote("sh -c 'x'") == "\"sh -c 'x'\"");
  CHECK(go_quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  CHECK(short_id("sha256:a05b8f00c44213a8ee32f25f8c33") == "a05b8f00c442");
}

TEST_CASE("tabwriter pads columns to the widest cell plus three and at least ten") {
  auto out = tabwrite("A\tBB\tC\nlonger-cell\tx\ty\n");
  CHECK(out == "A             BB        C\nlonger-cell   x         y\n");
}

TEST_CASE("tabwriter leaves the last cell of a line unpadded") {
  CHECK(tabwrite("a\tb\n") == "a         b\n");
}

TEST_CASE("ports are displayed and grouped as docker displays them") {
  auto ports = Json::parse(R"([
    {"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
    {"IP":"::","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
    {"PrivatePort":53,"Type":"udp"},
    {"PrivatePort":7000,"Type":"tcp"},{"PrivatePort":7001,"Type":"tcp"},{"PrivatePort":7002,"Type":"tcp"},
    {"IP":"0.0.0.0","PrivatePort":9000,"PublicPort":9000,"Type":"tcp"}])");
  CHECK(displayable_ports(ports) ==
        "53/udp, 7000-7002/tcp, 0.0.0.0:9000->9000/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp");
  CHECK(displayable_ports(Json::array()) == "");
}

TEST_CASE("a ps row shortens ID and command and strips the name's slash") {
  auto now = std::chrono::system_clock::time_point(seconds(1700000100));
  auto summary =
      Json::parse(R"({"Id":"7c521fb987b763f6488718156db5e0d37c846c8ab678d3af8ef9ecb47c8ef6ec",
    "Names":["/web"],"Image":"busybox","Command":"sh -c 'while true; do echo tick; sleep 1; done'",
    "Created":1700000000,"State":"running","Status":"Up 3 seconds","Ports":[],
    "Labels":{"b":"2","a":"1"},"SizeRw":0,"SizeRootFs":1983488,
    "NetworkSettings":{"Networks":{"bridge":{}}}})");
  auto row = container_row(summary, true, now);
  CHECK(row["ID"] == "7c521fb987b7");
  CHECK(row["Command"] == "\"sh -c 'while true; …\"");
  CHECK(row["RunningFor"] == "About a minute ago");
  CHECK(row["Names"] == "web");
  CHECK(row["Labels"] == "a=1,b=2");
  CHECK(row["Networks"] == "bridge");
  CHECK(row["Size"] == "0B (virtual 1.98MB)");
  auto full = container_row(summary, false, now);
  CHECK(full["ID"].get<std::string>().size() == 64);
  CHECK(full["Command"] == "\"sh -c 'while true; do echo tick; sleep 1; done'\"");
}

TEST_CASE("the default ps table has docker's header") {
  auto now = std::chrono::system_clock::time_point(seconds(1700000010));
  auto summary =
      Json::parse(R"({"Id":"7c521fb987b763f6488718156db5e0d37c846c8ab678d3af8ef9ecb47c8ef6ec",
    "Names":["/web"],"Image":"busybox","Command":"echo hi","Created":1700000000,
    "State":"exited","Status":"Exited (0) 5 seconds ago","Ports":[]})");
  auto text =
      render_listing("", {container_row(summary, true, now)}, container_listing_style(false));
  CHECK(text ==
        "CONTAINER ID   IMAGE     COMMAND     CREATED          STATUS                     PORTS    "
        " NAMES\n"
        "7c521fb987b7   busybox   \"echo hi\"   10 seconds ago   Exited (0) 5 seconds ago          "
        "   web\n");
}

TEST_CASE("listing formats: table with placeholders and json and bare templates") {
  std::vector<Json> rows = {Json{{"ID", "abc"}, {"Names", "web"}}};
  const auto& style = container_listing_style(false);
  CHECK(render_listing("table {{.ID}}\\t{{.Names}}", rows, style) ==
        "CONTAINER ID   NAMES\nabc            web\n");
  CHECK(render_listing("{{.Names}}", rows, style) == "web\n");
  CHECK(render_listing("json", rows, style) == "{\"ID\":\"abc\",\"Names\":\"web\"}\n");
  CHECK_THROWS_AS(render_listing("{{.Nope}}", rows, style), berth::InvalidArgument);
}

TEST_CASE("image rows: one per tag and <none> for untagged images") {
  auto now = std::chrono::system_clock::time_point(seconds(1700000000 + 14 * 86400));
  auto image = Json::parse(
      R"({"Id":"sha256:a05b8f00c44213a8ee32f25f8c33bc276db28383808f2a3dcc9e88cb2e20960c",
    "RepoTags":["busybox:latest","localhost:5000/bb:1"],"Created":1700000000,"Size":1983488})");
  auto rows = image_rows(image, true, now);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["Repository"] == "busybox");
  CHECK(rows[0]["Tag"] == "latest");
  CHECK(rows[1]["Repository"] == "localhost:5000/bb");
  CHECK(rows[1]["Tag"] == "1");
  CHECK(rows[0]["ID"] == "a05b8f00c442");
  CHECK(rows[0]["CreatedSince"] == "2 weeks ago");
  CHECK(rows[0]["Size"] == "1.98MB");
  auto text = render_listing("", rows, image_listing_style(false));
  CHECK(text.substr(0, text.find('\n')) ==
        "REPOSITORY          TAG       IMAGE ID       CREATED       SIZE");
  image["RepoTags"] = Json::array();
  auto untagged = image_rows(image, true, now);
  REQUIRE(untagged.size() == 1);
  CHECK(untagged[0]["Repository"] == "<none>");
  CHECK(untagged[0]["Tag"] == "<none>");
}

TEST_CASE("go templates print values as docker's inspect does") {
  auto j = Json::parse(R"({"State":{"Status":"running","Pid":1234,"Running":true},
    "Config":{"Cmd":["echo","hi"],"Labels":{"a":"1"},"Entrypoint":null},
    "HostConfig":{"Memory":67108864}})");
  CHECK(render_go_template("{{.State.Status}}", j) == "running");
  CHECK(render_go_template("{{.State.Pid}} {{.State.Running}}", j) == "1234 true");
  CHECK(render_go_template("{{.HostConfig.Memory}}", j) == "67108864");
  CHECK(render_go_template("{{.Config.Cmd}}", j) == "[echo hi]");
  CHECK(render_go_template("{{.Config.Labels}}", j) == "map[a:1]");
  CHECK(render_go_template("{{.Config.Entrypoint}}", j) == "<nil>");
  CHECK(render_go_template("{{json .Config.Cmd}}", j) == "[\"echo\",\"hi\"]");
  CHECK(render_go_template("{{.Config.Cmd | json}}", j) == "[\"echo\",\"hi\"]");
  CHECK(render_go_template("{{join .Config.Cmd \",\"}}", j) == "echo,hi");
  CHECK(render_go_template("{{index .Config.Labels \"a\"}}", j) == "1");
  CHECK(render_go_template("{{upper .State.Status}}", j) == "RUNNING");
  CHECK(render_go_template("{{.Nope}}", j) == "<no value>");
  CHECK(render_go_template("a\\tb", j) == "a\tb");
  CHECK_THROWS_WITH(render_go_template("{{range .Config.Cmd}}{{end}}", j),
                    Catch::Contains("not supported"));
  CHECK_THROWS_AS(render_go_template("{{.State.Status", j), berth::InvalidArgument);
}

TEST_CASE("filters become docker's filters query value") {
  CHECK(filters_query({}) == "");
  CHECK(filters_query({"name=web", "status=exited"}) ==
        R"({"name":{"web":true},"status":{"exited":true}})");
  CHECK_THROWS_AS(filters_query({"bad"}), berth::InvalidArgument);
}
