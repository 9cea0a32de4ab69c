// berth logs: GET /containers/ID/logs, demultiplexed unless the container has a TTY.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/client/client_env.hpp"
#include "cli/client/container_session.hpp"
#include "common/stdcopy.hpp"
#include "common/time_format.hpp"

namespace berth::cli::client {

namespace {

struct LogsFlags {
  std::string container, tail = "all", since, until;
  bool follow = false, timestamps = false, details = false;
};

// docker sends --since/--until as Unix seconds with nanoseconds ("1700000000.000000000").
std::string unix_time_param(const std::string& text) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                parse_docker_time(text).time_since_epoch())
                .count();
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%lld.%09lld", static_cast<long long>(ns / 1000000000),
                static_cast<long long>(ns % 1000000000));
  return buffer;
}

int show_logs(ClientEnv& env, const LogsFlags& flags) {
  auto info = inspect_container(env, flags.container);
  const bool tty = get_bool(info.value("Config", Json::object()), "Tty");
  std::string query = "?stdout=1&stderr=1&tail=" + url_encode(flags.tail);
  if (flags.follow) query += "&follow=1";
  if (flags.timestamps) query += "&timestamps=1";
  if (flags.details) query += "&details=1";
  if (!flags.since.empty()) query += "&since=" + unix_time_param(flags.since);
  if (!flags.until.empty()) query += "&until=" + unix_time_param(flags.until);
  auto response =
      env.engine().stream("GET", "/containers/" + get_string(info, "Id") + "/logs" + query);
  FrameDecoder decoder([&](StreamType type, std::string_view payload) {
    auto& to = type == StreamType::Stderr ? env.err() : env.out();
    to.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  });
  std::vector<char> buffer(64 * 1024);
  while (size_t n = response->read_some(buffer.data(), buffer.size())) {
    if (tty) {
      env.out().write(buffer.data(), static_cast<std::streamsize>(n));
    } else {
      decoder.feed(std::string_view(buffer.data(), n));
    }
    if (flags.follow) {
      env.out().flush();
      env.err().flush();
    }
  }
  return 0;
}

}  // namespace

void add_logs_command(CLI::App& parent, ClientEnv& env) {
  auto flags = std::make_shared<LogsFlags>();
  auto* cmd = parent.add_subcommand("logs", "Fetch the logs of a container");
  cmd->add_option("container", flags->container, "Container")->required();
  cmd->add_flag("-f,--follow", flags->follow, "Follow log output");
  cmd->add_flag("-t,--timestamps", flags->timestamps, "Show timestamps");
  cmd->add_flag("--details", flags->details, "Show extra details provided to logs");
  cmd->add_option("-n,--tail", flags->tail, "Number of lines to show from the end of the logs");
  cmd->add_option("--since", flags->since, "Show logs since timestamp or relative (e.g. 42m)");
  cmd->add_option("--until", flags->until, "Show logs before a timestamp or relative");
  cmd->callback([&env, flags] { run_command(env, [&] { return show_logs(env, *flags); }); });
}

}  // namespace berth::cli::client
