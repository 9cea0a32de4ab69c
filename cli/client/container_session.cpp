#include "cli/client/container_session.hpp"

#include <unistd.h>

#include <iostream>

#include "cli/client/attach_session.hpp"
#include "cli/client/image_pull.hpp"
#include "cli/client/image_reference.hpp"
#include "common/http_client.hpp"

namespace berth::cli::client {

namespace {

bool is_no_such_image(const http::HttpStatusError& e) {
  return e.status() == 404 && e.message().find("No such image") != std::string::npos;
}

// A second connection for the helper thread (signals, resizes): HttpClient is single-threaded.
EngineTarget pinned_target(ClientEnv& env) {
  auto target = env.engine().target();
  target.api_version = env.engine().api_version();
  return target;
}

}  // namespace

void pull_image(ClientEnv& env, const std::string& reference, std::ostream& progress) {
  // The same request and rendering as `berth pull`; docker draws it on stderr for run/create.
  pull_with_progress(env, PullRequest{reference, false, ""}, screen_for(progress, 2));
}

std::string create_container(ClientEnv& env, const ContainerFlags& flags, const std::string& image,
                             const std::vector<std::string>& command) {
  CreateInputs inputs;
  inputs.image = image;
  inputs.command = command;
  if (flags.tty) inputs.console_size = terminal_size(1);
  inputs.getenv = [&env](const std::string& key) { return env.ctx.env(key); };
  inputs.read_file = [](const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      throw InvalidArgument("open " + path + ": " + std::strerror(errno));
    }
    std::string text;
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, f)) text.append(buffer, n);
    std::fclose(f);
    return text;
  };
  const std::string body = create_body(flags, inputs).dump();
  const std::string path =
      "/containers/create" + (flags.name.empty() ? "" : "?name=" + url_encode(flags.name));
  if (flags.pull == "always") pull_image(env, image, env.err());
  Json created;
  try {
    created = env.engine().call_json("POST", path, body);
  } catch (const http::HttpStatusError& e) {
    if (!is_no_such_image(e) || flags.pull == "never") throw;
    env.err() << "Unable to find image '" << with_default_tag(image) << "' locally\n";
    pull_image(env, image, env.err());
    created = env.engine().call_json("POST", path, body);
  }
  if (const Json* warnings = find_field(created, "Warnings"); warnings && warnings->is_array()) {
    for (const auto& w : *warnings)
      env.err() << "WARNING: " << (w.is_string() ? w.get<std::string>() : w.dump()) << "\n";
  }
  return get_string(created, "Id");
}

int start_failure_exit_code(const std::string& message) {
  if (message.find("executable file not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos) {
    return 127;
  }
  if (message.find("permission denied") != std::string::npos ||
      message.find("is a directory") != std::string::npos) {
    return 126;
  }
  return kExitEngineError;
}

Json inspect_container(ClientEnv& env, const std::string& name) {
  return env.engine().call_json("GET", "/containers/" + url_encode(name) + "/json");
}

int attach_and_run(ClientEnv& env, const std::string& id, const AttachPlan& plan) {
  auto& engine = env.engine();
  const std::string base = "/containers/" + id;
  std::string query = "?stream=1";
  if (plan.stdin) query += "&stdin=1";
  if (plan.stdout) query += "&stdout=1";
  if (plan.stderr) query += "&stderr=1";
  auto attached = engine.hijack(base + "/attach" + query);
  std::unique_ptr<http::ResponseStream> wait;
  if (!plan.wait_condition.empty()) {
    wait = engine.stream("POST", base + "/wait?condition=" + plan.wait_condition);
  }
  const bool raw = plan.tty && plan.stdin && ::isatty(0);
  std::unique_ptr<RawTerminal> terminal;
  if (plan.start) {
    try {
      engine.call("POST", base + "/start");
    } catch (const http::HttpStatusError& e) {
      env.err() << "berth: Error response from daemon: " << e.message()
                << (e.message().empty() || e.message().back() == '.' ? "" : ".") << "\n";
      attached.stream.reset();
      if (wait) {
        try {
          wait->read_all(1 << 20);  // --rm: the engine answers once the container is gone
        } catch (const std::exception&) {
        }
      }
      return start_failure_exit_code(e.message());
    }
  }
  const EngineTarget helper_target = pinned_target(env);
  AttachIo io;
  io.tty = plan.tty;
  io.send_stdin = plan.stdin;
  if (plan.tty && ::isatty(1)) {
    auto [rows, cols] = terminal_size(1);
    if (rows > 0) {
      try {
        engine.call("POST",
                    base + "/resize?h=" + std::to_string(rows) + "&w=" + std::to_string(cols));
      } catch (const std::exception&) {
        // A container that already exited cannot be resized: nothing to do.
      }
    }
    io.resize = [helper_target, base](int h, int w) {
      EngineClient client(helper_target);
      client.call("POST", base + "/resize?h=" + std::to_string(h) + "&w=" + std::to_string(w));
    };
  }
  if (!plan.tty && plan.sig_proxy) {
    io.forward_signal = [helper_target, base](const std::string& signal) {
      EngineClient client(helper_target);
      client.call("POST", base + "/kill?signal=" + signal);
    };
  }
  env.out().flush();
  {
    if (raw) terminal = std::make_unique<RawTerminal>(0);
    pump_attached(*attached.stream, io);
    terminal.reset();
  }
  if (wait) {
    auto text = wait->read_all(1 << 20);
    auto result = Json::parse(text.empty() ? "{}" : text, nullptr, false);
    if (result.is_discarded()) throw Error("the engine's wait answer is not JSON: " + text);
    if (const Json* error = find_field(result, "Error"); error && error->is_object()) {
      auto message = get_string(*error, "Message");
      if (!message.empty()) env.err() << "berth: " << message << "\n";
    }
    return static_cast<int>(get_int64(result, "StatusCode"));
  }
  auto state = inspect_container(env, id);
  return static_cast<int>(get_int64(state.value("State", Json::object()), "ExitCode"));
}

}  // namespace berth::cli::client
