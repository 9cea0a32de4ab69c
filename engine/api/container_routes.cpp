#include "engine/api/container_routes.hpp"

#include <nlohmann/json.hpp>

#include "common/http_server.hpp"
#include "common/stdcopy.hpp"
#include "common/time_format.hpp"
#include "engine/api/api_common.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/container_views.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/platform.hpp"

using nlohmann::json;

namespace berth::engine::api {

namespace {

// Runs a state change; "already in that state" answers 304 as dockerd does.
template <class F>
void change_state(http::Response& res, F&& f) {
  try {
    f();
    res.send_empty(204);
  } catch (const NotModified&) {
    res.send_empty(304);
  }
}

std::optional<int> timeout_param(const http::Request& req) {
  auto t = query_int(req, "t");
  if (!t) t = query_int(req, "timeout");
  return t ? std::optional<int>(static_cast<int>(*t)) : std::nullopt;
}

int64_t to_nanos(const std::string& text) {
  const auto t = parse_docker_time(text, std::chrono::system_clock::now());
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string stream_content_type(bool tty, const http::Request& req) {
  if (tty) return "application/vnd.docker.raw-stream";
  return api_version(req) >= 142 ? "application/vnd.docker.multiplexed-stream"
                                 : "application/vnd.docker.raw-stream";
}

// ancestor= filters: an image's ID, or "" for an image that does not exist (it matches nothing).
std::function<std::string(const std::string&)> image_id_resolver(ImageStore& images) {
  return [&images](const std::string& ref) {
    try {
      return images.get(ref).id;
    } catch (const Error&) {
      return std::string();
    }
  };
}

// dockerd's CheckForJSON: a body must come as application/json (parameters allowed).
void require_json_content_type(const http::Request& req) {
  if (!req.has_body()) return;
  const std::string type = req.header("Content-Type");
  std::string media = type.substr(0, type.find(';'));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (auto& ch : media) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (media != "application/json")
    throw InvalidArgument("Content-Type specified (" + type + ") must be 'application/json'");
}

// --tail: a count, or every line for "all" and anything that is not a number (as dockerd).
std::optional<int64_t> parse_tail(const std::string& tail) {
  if (tail.empty() || !std::all_of(tail.begin(), tail.end(), ::isdigit) || tail.size() > 18)
    return std::nullopt;
  return std::stoll(tail);
}

}  // namespace

void add_container_routes(http::Router& r, ContainerManager& containers, ImageStore& images) {
  r.add("POST", "/containers/create", [&](http::Request& req, http::Response& res) {
    require_json_content_type(req);
    const json body = req.read_json();
    // --platform: an image for another platform is as good as none, as with dockerd (the CLI
    // then tries to pull one).
    if (const auto platform = req.query("platform"); platform && !platform->empty()) {
      const std::string ref = body.is_object() ? body.value("Image", "") : "";
      std::optional<Image> image;
      try {
        image = images.get(ref);
      } catch (const NotFound&) {
      }
      if (image) {
        if (const std::string mismatch = platform_mismatch(image->config, *platform);
            !mismatch.empty())
          throw NotFound("image with reference " + ref +
                         " was found but does not match the specified platform: " + mismatch);
      }
    }
    const auto created = containers.create(req.query("name").value_or(""), body);
    res.send_json(201, {{"Id", created.id}, {"Warnings", created.warnings}});
  });

  r.add("GET", "/containers/json", [&](http::Request& req, http::Response& res) {
    auto filter = ContainerFilter::parse(req.query("filters").value_or(""));
    filter.resolve_references([&](const std::string& ref) { return containers.get(ref).created; });
    filter.resolve_images(image_id_resolver(images));
    const auto limit = query_int(req, "limit").value_or(-1);
    // As dockerd: a limit (ps -n, ps -l) counts stopped containers too.
    const bool all =
        req.query_bool("all") || filter.has("status") || filter.has("exited") || limit > 0;
    const bool with_size = req.query_bool("size");
    // Rows are written as JSON text straight from each record, under its lock: no copies of the
    // records, no JSON tree (this answer is most of `docker ps`).
    struct Row {
      TimePoint created;
      std::string json;
    };
    std::vector<Row> rows;
    std::vector<Container> sized;  // sizes walk the disk: computed outside the containers' locks
    // One pass first, for what a row needs from beyond its own record: the names linked
    // containers also go by ("/web/db"), and the image references, looked up outside the
    // containers' locks (a container whose reference now names another image, or none, shows
    // its image's ID, as with dockerd).
    std::map<std::string, std::vector<std::string>> link_names;  // linked container's ID -> names
    std::map<std::string, std::string> image_of_ref;  // reference -> image ID ("" if none)
    containers.for_each([&](const Container& c) {
      for (const auto& link : c.links)
        link_names[link.child_id].push_back(c.name + "/" + link.alias);
      if (c.image != c.image_id) image_of_ref.emplace(c.image, "");
    });
    for (auto& [_, names] : link_names) std::sort(names.begin(), names.end());
    for (auto& [ref, id] : image_of_ref) {
      try {
        id = images.get(ref).id;
      } catch (const NotFound&) {
      }
    }
    const int client_api = api_version(req);
    const auto detached = detached_endpoint_texts(containers, client_api);
    auto extras_of = [&](const Container& c) {
      SummaryExtras extras;
      extras.api_version = client_api;
      extras.detached_endpoints = &detached;
      if (const auto it = link_names.find(c.id); it != link_names.end())
        extras.link_names = &it->second;
      if (const auto it = image_of_ref.find(c.image);
          it != image_of_ref.end() && it->second != c.image_id)
        extras.image = &c.image_id;
      return extras;
    };
    containers.for_each([&](const Container& c) {
      if (!all && !c.state.running()) return;
      if (!filter.matches(c)) return;
      if (with_size) {
        sized.push_back(c);
        return;
      }
      rows.push_back({created_time(c), {}});
      append_summary_json(rows.back().json, c, std::nullopt, std::nullopt, extras_of(c));
    });
    for (const auto& c : sized) {
      rows.push_back({created_time(c), {}});
      const auto [size_rw, size_root_fs] = container_sizes(c, containers, images);
      append_summary_json(rows.back().json, c, size_rw, size_root_fs, extras_of(c));
    }
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.created > b.created; });
    if (limit > 0 && static_cast<int64_t>(rows.size()) > limit) rows.resize(limit);
    std::string body = "[";
    for (const auto& row : rows) {
      if (body.size() > 1) body += ',';
      body += row.json;
    }
    body += "]\n";  // as send_json ends every body
    res.send(200, body);
  });

  r.add("GET", "/containers/{id*}/json", [&](http::Request& req, http::Response& res) {
    json inspect = containers.inspect(req.param("id"));
    if (req.query_bool("size")) {
      const Container c = containers.get(req.param("id"));
      const auto [size_rw, size_root_fs] = container_sizes(c, containers, images);
      inspect["SizeRw"] = size_rw;
      inspect["SizeRootFs"] = size_root_fs;
    }
    adapt_inspect_to_api(inspect, api_version(req));
    res.send_json(200, inspect);
  });

  r.add("POST", "/containers/{id*}/start", [&](http::Request& req, http::Response& res) {
    change_state(res, [&] { containers.start(req.param("id")); });
  });
  r.add("POST", "/containers/{id*}/stop", [&](http::Request& req, http::Response& res) {
    change_state(res, [&] {
      containers.stop(req.param("id"), timeout_param(req), req.query("signal").value_or(""));
    });
  });
  r.add("POST", "/containers/{id*}/restart", [&](http::Request& req, http::Response& res) {
    change_state(res, [&] { containers.restart(req.param("id"), timeout_param(req)); });
  });
  r.add("POST", "/containers/{id*}/kill", [&](http::Request& req, http::Response& res) {
    change_state(res,
                 [&] { containers.kill(req.param("id"), req.query("signal").value_or("KILL")); });
  });
  r.add("POST", "/containers/{id*}/pause", [&](http::Request& req, http::Response& res) {
    change_state(res, [&] { containers.pause(req.param("id")); });
  });
  r.add("POST", "/containers/{id*}/unpause", [&](http::Request& req, http::Response& res) {
    change_state(res, [&] { containers.unpause(req.param("id")); });
  });
  r.add("POST", "/containers/{id*}/rename", [&](http::Request& req, http::Response& res) {
    const auto name = req.query("name");
    if (!name || name->empty()) throw InvalidArgument("missing required parameter: name");
    change_state(res, [&] { containers.rename(req.param("id"), *name); });
  });
  r.add("DELETE", "/containers/{id*}", [&](http::Request& req, http::Response& res) {
    if (req.query_bool("link")) {
      change_state(res, [&] { containers.remove_link(req.param("id")); });
      return;
    }
    change_state(res, [&] { containers.remove(req.param("id"), req.query_bool("force")); });
  });
  r.add("POST", "/containers/{id*}/resize", [&](http::Request& req, http::Response& res) {
    const auto h = query_int(req, "h"), w = query_int(req, "w");
    if (!h || !w || *h < 0 || *w < 0 || *h > 65535 || *w > 65535)
      throw InvalidArgument("resize needs h and w between 0 and 65535");
    containers.resize(req.param("id"), static_cast<int>(*h), static_cast<int>(*w));
    res.send(200, "", "text/plain");
  });

  r.add("POST", "/containers/{id*}/wait", [&](http::Request& req, http::Response& res) {
    const std::string id = containers.resolve(req.param("id"));
    // An unknown condition means the default (not-running), as with dockerd.
    const std::string condition = req.query("condition").value_or("");
    // Headers go out as soon as the wait counts: clients open the wait before start and read the
    // answer after exit.
    const auto result = containers.wait(
        id, condition, [&] { res.start_stream(200, "application/json"); },
        [&] { return res.cancelled(); });
    json answer = {{"StatusCode", result.status_code}, {"Error", nullptr}};
    if (!result.error.empty()) answer["Error"] = {{"Message", result.error}};
    res.write(answer.dump() + "\n");
    res.finish();
  });

  r.add("POST", "/containers/{id*}/attach", [&](http::Request& req, http::Response& res) {
    const Container c = containers.get(req.param("id"));
    const bool stream = req.query_bool("stream"), logs = req.query_bool("logs");
    if (!stream && !logs) throw InvalidArgument("at least one of stream or logs must be set");
    const std::string type = stream_content_type(c.tty(), req);
    containers.attach(
        c.id, [&]() -> Stream& { return res.hijack(type); }, req.query_bool("stdin"),
        req.query_bool("stdout"), req.query_bool("stderr"), logs, stream,
        req.query("detachKeys").value_or(""));
  });

  r.add("GET", "/containers/{id*}/logs", [&](http::Request& req, http::Response& res) {
    const Container c = containers.get(req.param("id"));
    if (c.keeps_no_log())
      throw NotImplemented("configured logging driver does not support reading");
    LogReadOptions options;
    options.stdout = req.query_bool("stdout");
    options.stderr = req.query_bool("stderr");
    if (!options.stdout && !options.stderr)
      throw InvalidArgument("Bad parameters: you must choose at least one stream");
    options.follow = req.query_bool("follow");
    options.timestamps = req.query_bool("timestamps");
    const std::string tail = req.query("tail").value_or("all");
    options.tail = parse_tail(tail);
    options.details = req.query_bool("details");
    if (auto since = req.query("since"); since && !since->empty() && *since != "0")
      options.since_nano = to_nanos(*since);
    if (auto until = req.query("until"); until && !until->empty() && *until != "0")
      options.until_nano = to_nanos(*until);
    const bool tty = c.tty();
    res.start_stream(200, stream_content_type(tty, req));
    containers.logs(
        c.id, options,
        [&](std::string_view stream, std::string_view text) {
          if (tty)
            res.write(text);
          else
            res.write(
                encode_frame(stream == "stderr" ? StreamType::Stderr : StreamType::Stdout, text));
        },
        [&] { return res.cancelled(); });
    res.finish();
  });

  r.add("POST", "/containers/prune", [&](http::Request& req, http::Response& res) {
    const auto filter = ContainerFilter::parse_for_prune(req.query("filters").value_or(""),
                                                         std::chrono::system_clock::now());
    const auto [deleted, reclaimed] =
        containers.prune([&](const Container& c) { return filter.matches(c); });
    res.send_json(200, {{"ContainersDeleted", deleted}, {"SpaceReclaimed", reclaimed}});
  });
}

}  // namespace berth::engine::api
