// The container model's pure parts: signal names, sizes, docker ps's STATUS text and filters, and
// the record round-trip that live restore depends on.
#include <catch2/catch.hpp>
#include <csignal>

#include "common/error.hpp"
#include "common/time_format.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/container_views.hpp"

using namespace berth;
using namespace berth::engine;

TEST_CASE("signals parse by name, SIG-name and number", "[engine][containers]") {
  CHECK(parse_signal("KILL") == SIGKILL);
  CHECK(parse_signal("SIGTERM") == SIGTERM);
  CHECK(parse_signal("sigusr1") == SIGUSR1);
  CHECK(parse_signal("9") == 9);
  CHECK_THROWS_WITH(parse_signal("NOPE"), "Invalid signal: NOPE");
  CHECK_THROWS_AS(parse_signal("0"), InvalidArgument);
  // As moby's ParseSignal: any other number parses; whether Linux has it is a separate question.
  CHECK(parse_signal("99") == 99);
  CHECK_FALSE(signal_valid_on_linux(99));
  CHECK_FALSE(signal_valid_on_linux(32));
  CHECK(signal_valid_on_linux(64));
  // moby's Linux names: real-time signals from Go's RTMIN 34, and the aliases.
  CHECK(parse_signal("RTMIN") == 34);
  CHECK(parse_signal("SIGRTMIN+3") == 37);
  CHECK(parse_signal("rtmax-14") == 50);
  CHECK(parse_signal("RTMAX") == 64);
  CHECK(parse_signal("IOT") == SIGABRT);
  CHECK(parse_signal("SIGPOLL") == SIGIO);
  CHECK(parse_signal("CLD") == SIGCHLD);
  CHECK_THROWS_WITH(parse_signal("RTMIN+16"), "Invalid signal: RTMIN+16");
  CHECK_THROWS_WITH(parse_signal("99999999999"), "Invalid signal: 99999999999");
}

TEST_CASE("durations and STATUS text match docker ps", "[engine][containers]") {
  CHECK(human_duration(0) == "Less than a second");
  CHECK(human_duration(1) == "1 second");
  CHECK(human_duration(45) == "45 seconds");
  CHECK(human_duration(90) == "About a minute");
  CHECK(human_duration(600) == "10 minutes");
  CHECK(human_duration(3600) == "About an hour");
  CHECK(human_duration(5 * 3600) == "5 hours");
  Container c;
  c.state.status = "created";
  CHECK(human_status(c) == "Created");
  c.state.status = "exited";
  c.state.exit_code = 3;
  c.state.finished_at = rfc3339_nano(std::chrono::system_clock::now() - std::chrono::minutes(5));
  CHECK(human_status(c) == "Exited (3) 5 minutes ago");
  c.state.status = "running";
  c.state.started_at = rfc3339_nano(std::chrono::system_clock::now() - std::chrono::seconds(2));
  CHECK(human_status(c) == "Up 2 seconds");
}

TEST_CASE("a container record survives the round-trip through JSON", "[engine][containers]") {
  Container c;
  c.id = std::string(64, 'a');
  c.name = "/web";
  c.image = "busybox";
  c.image_id = "sha256:" + std::string(64, 'b');
  c.config = {{"Cmd", {"httpd", "-f"}}, {"Tty", true}};
  c.host_config = {{"RestartPolicy", {{"Name", "always"}}}};
  c.path = "httpd";
  c.args = {"-f"};
  c.state.status = "running";
  c.state.pid = 42;
  c.restart_count = 2;
  c.manually_stopped = true;
  const Container back = Container::from_record(c.to_record());
  CHECK(back.id == c.id);
  CHECK(back.name == "/web");
  CHECK(back.bare_name() == "web");
  CHECK(back.tty());
  CHECK(back.state.status == "running");
  CHECK(back.state.pid == 42);
  CHECK(back.restart_count == 2);
  CHECK(back.manually_stopped);
  CHECK(back.args == std::vector<std::string>{"-f"});
}

TEST_CASE("ps filters: status, name, label, id, exited, ancestor", "[engine][containers]") {
  Container c;
  c.id = "abcdef0123456789" + std::string(48, '0');
  c.name = "/web-1";
  c.image = "busybox";
  c.image_id = "sha256:1111";
  c.config = {{"Labels", {{"tier", "front"}, {"team", "a"}}}};
  c.state.status = "exited";
  c.state.exit_code = 137;
  // Images known by another name resolve to the container's image ID.
  auto resolve_image = [](const std::string& ref) {
    return ref == "my/alias:1" ? std::string("sha256:1111") : std::string();
  };
  auto matches = [&](const std::string& f) {
    auto filter = ContainerFilter::parse(f);
    filter.resolve_images(resolve_image);
    return filter.matches(c);
  };
  CHECK(matches(R"({"status":{"exited":true}})"));
  CHECK_FALSE(matches(R"({"status":{"running":true}})"));
  CHECK(matches(R"({"status":["running","exited"]})"));
  CHECK(matches(R"({"name":{"web":true}})"));
  CHECK_FALSE(matches(R"({"name":{"db":true}})"));
  CHECK(matches(R"({"label":{"tier=front":true}})"));
  CHECK(matches(R"({"label":{"tier":true,"team=a":true}})"));
  CHECK_FALSE(matches(R"({"label":{"tier=front":true,"team=b":true}})"));
  CHECK(matches(R"({"id":{"abcdef":true}})"));
  CHECK(matches(R"({"exited":{"137":true}})"));
  CHECK_FALSE(matches(R"({"exited":{"0":true}})"));
  CHECK(matches(R"({"ancestor":{"busybox":true}})"));
  CHECK(matches(R"({"ancestor":{"my/alias:1":true}})"));
  CHECK_FALSE(matches(R"({"ancestor":{"alpine":true}})"));
  CHECK(matches(R"({"name":{"^web-[0-9]$":true}})"));
  CHECK(matches(R"({"name":{"^/web":true}})"));  // the name with its slash matches too
  CHECK_FALSE(matches(R"({"name":{"^eb":true}})"));
  CHECK(matches(R"({"label":{"tier=front":true},"name":{"web":true}})"));
  CHECK_THROWS_WITH(ContainerFilter::parse(R"({"colour":{"red":true}})"),
                    "Invalid filter 'colour'");
  c.name = "/odd(name";
  CHECK(matches(R"({"name":{"odd(":true}})"));  // not a valid regex: matched as plain text
  CHECK_FALSE(matches(R"({"name":{"even(":true}})"));
  CHECK_THROWS_WITH(ContainerFilter::parse(R"({"status":{"sleeping":true}})"),
                    "Invalid filter 'status=sleeping'");
  CHECK_THROWS_AS(ContainerFilter::parse("{not json"), InvalidArgument);
}
