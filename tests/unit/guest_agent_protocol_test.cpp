// berth-agent's QEMU guest agent protocol, driven as libvirt drives it: raw bytes over a socketpair
// to an AgentChannel serving on its own thread.
#include <poll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <climits>
#include <fstream>
#include <optional>
#include <thread>

#include "common/json.hpp"
#include "guest-agent/agent_channel.hpp"
#include "guest-agent/agent_commands.hpp"
#include "guest-agent/json_stream.hpp"
#include "http_test_support.hpp"

using namespace berth;
using namespace berth::agent;
using namespace std::chrono_literals;

namespace {

class FakeSystem : public SystemActions {
 public:
  void shutdown(ShutdownMode mode) override { shutdowns.push_back(mode); }
  void set_time(std::optional<std::int64_t> ns) override { times.push_back(ns); }
  std::vector<ShutdownMode> shutdowns;
  std::vector<std::optional<std::int64_t>> times;
};

class FakeEngine : public EngineControl {
 public:
  EngineStatus status() override {
    EngineStatus s;
    s.supervised = true;
    s.running = true;
    s.ready = true;
    s.pid = 4242;
    s.version = "0.1.0";
    s.api_version = "1.50";
    s.restarts = 2;
    s.last_restart_delay_ms = 4000;
    s.ready_after_seconds = 0.25;
    s.socket = "/run/berth/berth.sock";
    return s;
  }
  int restart() override {
    ++restarts;
    return 4343;
  }
  void stop() override { ++stops; }
  int restarts = 0;
  int stops = 0;
};

// An agent serving one end of a socketpair; the test is the host on the other end.
class AgentFixture {
 public:
  explicit AgentFixture(EngineControl* engine_override = nullptr) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    host_.reset(fds[0]);
    guest_.reset(fds[1]);
    {
      std::ofstream os(dir_.file("os-release"));
      os << "PRETTY_NAME=\"berth 0.1.0\"\nNAME=berth\nID=berth\nVERSION_ID=\"0.1.0\"\n";
    }
    GuestPaths paths;
    paths.os_release = dir_.file("os-release");
    EngineControl& engine = engine_override ? *engine_override : engine_;
    add_guest_commands(table_, system_, engine, paths);
    add_berth_commands(table_, engine, "9.9.9", paths);
    add_protocol_commands(table_, "9.9.9");
    protocol_ = std::make_unique<AgentProtocol>(table_);
    channel_ = std::make_unique<AgentChannel>(guest_.get(), *protocol_);
    server_ = std::thread([this] { end_ = channel_->serve(); });
  }
  ~AgentFixture() {
    host_.reset();  // the host goes away: serve() must return by itself
    if (server_.joinable()) server_.join();
  }

  void send(std::string_view bytes) {
    REQUIRE(::write(host_.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  // The next byte from the agent, or nullopt if none arrives within `timeout`.
  std::optional<char> read_byte(std::chrono::milliseconds timeout = 5s) {
    pollfd p{host_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char c;
    if (::read(host_.get(), &c, 1) != 1) return std::nullopt;
    return c;
  }
  std::string read_line() {
    std::string line;
    for (;;) {
      auto c = read_byte();
      REQUIRE(c.has_value());
      if (*c == '\n') return line;
      line += *c;
    }
  }
  Json reply() { return Json::parse(read_line()); }
  Json call(const std::string& request) {
    send(request);
    return reply();
  }
  bool nothing_pending(std::chrono::milliseconds wait = 200ms) { return !read_byte(wait); }
  void close_host() { host_.reset(); }
  void join() { server_.join(); }
  AgentChannel::End end() const { return end_; }

  FakeSystem system_;
  FakeEngine engine_;

 private:
  test::TempDir dir_;
  CommandTable table_;
  std::unique_ptr<AgentProtocol> protocol_;
  std::unique_ptr<AgentChannel> channel_;
  UniqueFd host_, guest_;
  std::thread server_;
  AgentChannel::End end_ = AgentChannel::End::Stopped;
};

}  // namespace

TEST_CASE("guest-ping answers an empty return", "[guest_agent]") {
  AgentFixture agent;
  CHECK(agent.call(R"({"execute":"guest-ping"})") == Json::parse(R"({"return":{}})"));
  // qemu-ga echoes a request id, and accepts requests split across writes and whitespace.
  agent.send("  \n{\"execute\":");
  agent.send("\"guest-ping\", \"id\": \"abc\"}");
  CHECK(agent.reply() == Json::parse(R"({"return":{},"id":"abc"})"));
}

TEST_CASE("guest-sync echoes the id, including libvirt's full 64-bit ones", "[guest_agent]") {
  AgentFixture agent;
  CHECK(agent.call(R"({"execute":"guest-sync","arguments":{"id":12345}})")["return"] == 12345);
  const Json big =
      agent.call(R"({"execute":"guest-sync","arguments":{"id":18446744073709551615}})");
  CHECK(big["return"].get<std::uint64_t>() == 18446744073709551615ull);
  const Json missing = agent.call(R"({"execute":"guest-sync"})");
  CHECK(missing["error"]["class"] == "GenericError");
}

TEST_CASE("a sync with a stale id: the host skips old replies until its own id", "[guest_agent]") {
  AgentFixture agent;
  // A previous client's request whose reply it never read, then the new client's sync.
  agent.send(R"({"execute":"guest-sync","arguments":{"id":1}})");
  agent.send(R"({"execute":"guest-sync","arguments":{"id":2}})");
  CHECK(agent.reply()["return"] == 1);
  CHECK(agent.reply()["return"] == 2);
  CHECK(agent.nothing_pending());
}

TEST_CASE("guest-sync-delimited prefixes its reply with 0xFF after a parser reset",
          "[guest_agent]") {
  AgentFixture agent;
  // A half-written request left behind by a client that died; 0xFF drops it without a reply.
  agent.send(R"({"execute":"guest-pi)");
  agent.send("\xff");
  agent.send(R"({"execute":"guest-sync-delimited","arguments":{"id":77}})");
  const auto first = agent.read_byte();
  REQUIRE(first.has_value());
  CHECK(static_cast<unsigned char>(*first) == 0xFF);
  CHECK(agent.reply() == Json::parse(R"({"return":77})"));
  CHECK(agent.call(R"({"execute":"guest-ping"})").contains("return"));
}

TEST_CASE("malformed input gets an error reply and the agent keeps serving", "[guest_agent]") {
  AgentFixture agent;
  const Json bad_json = agent.call("{\"execute\": }");
  CHECK(bad_json["error"]["class"] == "GenericError");
  CHECK(bad_json["error"]["desc"].get<std::string>().find("JSON parse error") == 0);

  const Json junk = agent.call("hello there\n");
  CHECK(junk["error"]["class"] == "GenericError");

  const Json no_execute = agent.call(R"({"arguments":{}})");
  CHECK(no_execute["error"]["desc"] == "QMP input lacks member 'execute'");
  const Json bad_args = agent.call(R"({"execute":"guest-ping","arguments":[1]})");
  CHECK(bad_args["error"]["class"] == "GenericError");
  // Braces inside strings do not confuse the framing.
  const Json odd = agent.call(R"({"execute":"guest-ping","id":"}{\"}"})");
  CHECK(odd["id"] == "}{\"}");
  CHECK(agent.call(R"({"execute":"guest-ping"})") == Json::parse(R"({"return":{}})"));
}

TEST_CASE("an unknown command is CommandNotFound and the agent keeps serving", "[guest_agent]") {
  AgentFixture agent;
  const Json reply = agent.call(R"({"execute":"guest-exec","arguments":{"path":"/bin/sh"}})");
  CHECK(reply["error"]["class"] == "CommandNotFound");
  CHECK(reply["error"]["desc"] == "The command guest-exec has not been found");
  CHECK(agent.call(R"({"execute":"guest-ping"})").contains("return"));
}

TEST_CASE("guest-info lists every command with its success-response", "[guest_agent]") {
  AgentFixture agent;
  const Json info = agent.call(R"({"execute":"guest-info"})")["return"];
  CHECK(info["version"] == "9.9.9");
  std::map<std::string, bool> commands;
  for (const auto& c : info["supported_commands"]) {
    CHECK(c["enabled"] == true);
    commands[c["name"]] = c["success-response"];
  }
  for (const char* name :
       {"guest-sync", "guest-sync-delimited", "guest-ping", "guest-info",
        "guest-network-get-interfaces", "guest-get-osinfo", "guest-get-host-name", "guest-get-time",
        "guest-set-time", "berth-status", "berth-restart-engine"}) {
    INFO(name);
    CHECK(commands.count(name) == 1);
    CHECK(commands[name] == true);
  }
  CHECK(commands.at("guest-shutdown") == false);
}

TEST_CASE("guest-network-get-interfaces reports lo as libvirt parses it", "[guest_agent]") {
  AgentFixture agent;
  const Json ifaces = agent.call(R"({"execute":"guest-network-get-interfaces"})")["return"];
  REQUIRE(ifaces.is_array());
  const Json* lo = nullptr;
  for (const auto& iface : ifaces) {
    CHECK(iface.contains("name"));
    CHECK(iface["ip-addresses"].is_array());
    if (iface["name"] == "lo") lo = &iface;
  }
  REQUIRE(lo != nullptr);
  CHECK((*lo)["hardware-address"] == "00:00:00:00:00:00");
  bool found = false;
  for (const auto& addr : (*lo)["ip-addresses"]) {
    if (addr["ip-address"] == "127.0.0.1") {
      found = true;
      CHECK(addr["ip-address-type"] == "ipv4");
      CHECK(addr["prefix"] == 8);
    }
  }
  CHECK(found);
}

TEST_CASE("guest-get-osinfo and guest-get-host-name", "[guest_agent]") {
  AgentFixture agent;
  const Json os = agent.call(R"({"execute":"guest-get-osinfo"})")["return"];
  utsname uts{};
  ::uname(&uts);
  CHECK(os["kernel-release"] == uts.release);
  CHECK(os["machine"] == uts.machine);
  CHECK(os["id"] == "berth");
  CHECK(os["pretty-name"] == "berth 0.1.0");
  CHECK(os["version-id"] == "0.1.0");

  char name[HOST_NAME_MAX + 1] = {};
  ::gethostname(name, sizeof name - 1);
  CHECK(agent.call(R"({"execute":"guest-get-host-name"})")["return"]["host-name"] == name);
}

TEST_CASE("guest-get-time and guest-set-time", "[guest_agent]") {
  AgentFixture agent;
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto reported = agent.call(R"({"execute":"guest-get-time"})")["return"].get<std::int64_t>();
  CHECK(std::llabs(reported - now) < 5'000'000'000LL);

  CHECK(agent.call(R"({"execute":"guest-set-time","arguments":{"time":1700000000123456789}})") ==
        Json::parse(R"({"return":{}})"));
  CHECK(agent.call(R"({"execute":"guest-set-time"})").contains("return"));
  CHECK(
      agent.call(R"({"execute":"guest-set-time","arguments":{"time":"soon"}})")["error"]["class"] ==
      "GenericError");
  REQUIRE(agent.system_.times.size() == 2);
  CHECK(agent.system_.times[0] == 1700000000123456789LL);
  CHECK_FALSE(agent.system_.times[1].has_value());
}

TEST_CASE("guest-shutdown sends no reply, stops the engine, then shuts down", "[guest_agent]") {
  AgentFixture agent;
  agent.send(R"({"execute":"guest-shutdown"})");
  agent.send(R"({"execute":"guest-shutdown","arguments":{"mode":"reboot"}})");
  const Json bad = agent.call(R"({"execute":"guest-shutdown","arguments":{"mode":"nap"}})");
  CHECK(bad["error"]["class"] == "GenericError");
  // The first line back is the error: neither successful shutdown answered.
  CHECK(agent.call(R"({"execute":"guest-ping"})").contains("return"));
  CHECK(agent.engine_.stops == 2);
  REQUIRE(agent.system_.shutdowns.size() == 2);
  CHECK(agent.system_.shutdowns[0] == ShutdownMode::Powerdown);
  CHECK(agent.system_.shutdowns[1] == ShutdownMode::Reboot);
}

TEST_CASE("berth-status and berth-restart-engine", "[guest_agent]") {
  AgentFixture agent;
  const Json status = agent.call(R"({"execute":"berth-status"})")["return"];
  CHECK(status["agent_version"] == "9.9.9");
  CHECK(status["engine_running"] == true);
  CHECK(status["engine_ready"] == true);
  CHECK(status["engine_version"] == "0.1.0");
  CHECK(status["engine_api_version"] == "1.50");
  CHECK(status["engine_pid"] == 4242);
  CHECK(status["engine_restarts"] == 2);
  CHECK(status["engine_last_restart_delay_ms"] == 4000);
  CHECK(status["engine_ready_after_seconds"] == 0.25);
  CHECK(status["uptime"].get<double>() > 0);
  CHECK(status["memory"]["total_kib"].get<long long>() > 0);
  CHECK(status["data_disk_mounted"].is_boolean());

  CHECK(agent.call(R"({"execute":"berth-restart-engine"})")["return"]["engine_pid"] == 4343);
  CHECK(agent.engine_.restarts == 1);
}

TEST_CASE("berth-restart-engine without a supervised engine is an error", "[guest_agent]") {
  UnsupervisedEngine none;
  AgentFixture agent(&none);
  const Json reply = agent.call(R"({"execute":"berth-restart-engine"})");
  CHECK(reply["error"]["class"] == "GenericError");
  CHECK(reply["error"]["desc"] == "the engine is not supervised by this agent");
  CHECK(agent.call(R"({"execute":"berth-status"})")["return"]["engine_supervised"] == false);
}

TEST_CASE("the channel ends when the host side closes", "[guest_agent]") {
  AgentFixture agent;
  agent.send(R"({"execute":"guest-info"})");  // its reply meets a closed socket: no SIGPIPE
  agent.send(R"({"execute":"guest-sync","arguments":{"id":5},)");  // left half-written
  agent.close_host();
  agent.join();
  CHECK(agent.end() == AgentChannel::End::HostClosed);
}

TEST_CASE("the stream splitter frames objects byte by byte", "[guest_agent]") {
  JsonStreamSplitter splitter(64);
  const std::string input = R"( {"a":"}\"{","b":[{}]}{"c":1} nonsense
{"big":")" + std::string(100, 'x') +
                            R"("} {"d":2})";
  std::vector<StreamItem> items;
  for (char c : input) {
    for (auto& item : splitter.feed(std::string_view(&c, 1))) items.push_back(item);
  }
  REQUIRE(items.size() == 5);
  CHECK(items[0].kind == StreamItem::Kind::Object);
  CHECK(Json::parse(items[0].text)["a"] == "}\"{");
  CHECK(items[1].text == R"({"c":1})");
  CHECK(items[2].kind == StreamItem::Kind::Garbage);
  CHECK(items[2].text == "nonsense");
  CHECK(items[3].kind == StreamItem::Kind::TooLarge);
  CHECK(items[4].text == R"({"d":2})");
  CHECK(splitter.idle());
}
