#include "engine/api/image_routes.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"
#include "engine/api/api_common.hpp"
#include "engine/events.hpp"
#include "engine/images/dockerfile_changes.hpp"
#include "engine/images/image_filters.hpp"
#include "engine/images/image_json.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/reference.hpp"

using nlohmann::json;

namespace berth::engine::api {

namespace {

// What a failed upload may still owe us: reading it lets the client see the error answer instead
// of a broken pipe. Bounded, so a huge upload is cut off rather than read to the end.
constexpr size_t kDrainLimit = 256 * 1024 * 1024;

void drain_body(http::Request& req) {
  char buffer[64 * 1024];
  size_t total = 0;
  try {
    while (total < kDrainLimit) {
      const size_t n = req.read_body_some(buffer, sizeof buffer);
      if (n == 0) break;
      total += n;
    }
  } catch (const std::exception&) {
    // The connection is going away anyway.
  }
}

void publish(EventBus& events, const std::string& action, const std::string& id,
             const std::string& name) {
  events.publish(
      Event{.type = "image", .action = action, .id = id, .attributes = {{"name", name}}});
}

// Docker's RepoTagReference: `repo` may carry a tag, which a non-empty `tag` replaces.
std::string repo_tag_reference(const std::string& repo, const std::string& tag) {
  if (repo.empty()) throw InvalidArgument("repository name must have at least one component");
  Reference ref = Reference::parse(repo);
  if (!ref.digest.empty()) throw InvalidArgument("cannot import digest reference");
  if (!tag.empty()) {
    try {
      ref.tag = Reference::parse(ref.name() + ":" + tag).tag;
    } catch (const InvalidArgument&) {
      throw InvalidArgument("invalid tag format");
    }
  }
  return ref.string();
}

// One event per answer item of a removal: untag for references, delete for images. dockerd names
// the image by its ID in both. A prune (no `target_id`) lists each image's untags before its
// deletion, so an untag belongs to the next deleted image.
void publish_removals(EventBus& events, const std::vector<json>& items,
                      const std::set<std::string>& image_ids, const std::string& target_id) {
  for (size_t i = 0; i < items.size(); ++i) {
    const json& item = items[i];
    if (item.contains("Untagged")) {
      std::string id = target_id;
      for (size_t next = i + 1; id.empty() && next < items.size(); ++next)
        if (items[next].contains("Deleted") &&
            image_ids.count(items[next]["Deleted"].get<std::string>()))
          id = items[next]["Deleted"].get<std::string>();
      if (id.empty()) id = item["Untagged"].get<std::string>();
      publish(events, "untag", id, id);
    }
    if (item.contains("Deleted")) {
      const std::string id = item["Deleted"].get<std::string>();
      if (image_ids.count(id)) publish(events, "delete", id, id);
    }
  }
}

std::set<std::string> image_ids(const ImageStore& images) {
  std::set<std::string> ids;
  for (const auto& image : images.list()) ids.insert(image.id);
  return ids;
}

json list_images(const http::Request& req, const ImageStore& images) {
  const auto filter =
      ImageFilter::parse(req.query("filters").value_or(""),
                         {"dangling", "reference", "label", "before", "since", "until"},
                         [&](const std::string& ref) { return images.get(ref).created_unix; });
  const bool all = req.query_bool("all");
  const bool shared_size = req.query_bool("shared-size");
  const int version = api_version(req);
  auto list = images.list();
  std::set<std::string> parents;
  std::map<std::string, int> chain_users;
  for (const auto& image : list) {
    if (!image.parent.empty()) parents.insert(image.parent);
    for (const auto& chain : image.chain_ids) ++chain_users[chain];
  }
  std::sort(list.begin(), list.end(),
            [](const Image& a, const Image& b) { return a.created_unix > b.created_unix; });
  json out = json::array();
  for (auto image : list) {
    if (!filter.matches(image)) continue;
    const bool head = !parents.count(image.id);
    if (filter.dangling() == true && !head) continue;
    if (filter.has_reference_filter()) {
      std::erase_if(image.repo_tags, [&](const auto& r) { return !filter.reference_matches(r); });
      std::erase_if(image.repo_digests,
                    [&](const auto& r) { return !filter.reference_matches(r); });
    }
    if (image.repo_tags.empty() && image.repo_digests.empty()) {
      if (!all && !head) continue;  // an intermediate image
      if (filter.dangling() == false || filter.has_reference_filter()) continue;
    } else if (filter.dangling() == true && !image.repo_tags.empty()) {
      continue;
    }
    int64_t shared = -1;
    if (shared_size) {
      shared = 0;
      const auto sizes = images.layer_sizes(image);
      for (size_t i = 0; i < image.chain_ids.size(); ++i)
        if (chain_users[image.chain_ids[i]] > 1) shared += sizes[i];
    }
    out.push_back(image_summary(image, shared, -1, version));
  }
  return out;
}

// POST /images/create?fromImage=: there is no registry client yet, so say so in the words
// `docker pull` / `docker run` print, and point at what works.
void refuse_pull(const http::Request& req, http::Response& res) {
  const std::string image = req.query("fromImage").value_or("");
  std::string name = image;
  try {
    name = Reference::parse(image).familiar_name();
  } catch (const InvalidArgument&) {
  }
  res.send_error(501, "pull access denied for " + name +
                          ": berth cannot reach registries yet (no registry client); load the "
                          "image with docker load");
}

void import_image(http::Request& req, http::Response& res, ImageStore& images, EventBus& events) {
  const std::string source = req.query("fromSrc").value_or("");
  std::string target;
  Image image;
  try {
    if (source != "-")
      throw Unavailable("importing from " + source +
                        " is not supported: berth imports only from the request body (fromSrc=-)");
    const std::string repo = req.query("repo").value_or("");
    if (!repo.empty()) target = repo_tag_reference(repo, req.query("tag").value_or(""));
    const json config = apply_changes(json::object(), req.query_all("changes"));
    std::string message = req.query("message").value_or("");
    if (message.empty()) message = "Imported from " + source;
    image = images.import([&](char* data, size_t size) { return req.read_body_some(data, size); },
                          config, target, message);
  } catch (const std::exception&) {
    drain_body(req);  // the client is still sending the tar: let it finish and read the error
    throw;
  }
  publish(events, "import", image.id, image.id);
  if (!target.empty()) publish(events, "tag", image.id, Reference::parse(target).familiar_string());
  res.start_stream(200, "application/json");
  res.write(json{{"status", image.id}}.dump() + "\n");
  res.finish();
}

void load_images(http::Request& req, http::Response& res, ImageStore& images, EventBus& events) {
  bool started = false;
  try {
    images.load([&](char* data, size_t size) { return req.read_body_some(data, size); },
                [&](const std::string& loaded) {
                  if (!started) res.start_stream(200, "application/json");
                  started = true;
                  const bool untagged = loaded.starts_with("sha256:");
                  const std::string line =
                      (untagged ? "Loaded image ID: " : "Loaded image: ") + loaded + "\n";
                  res.write(json{{"stream", line}}.dump() + "\n");
                  const std::string id = untagged ? loaded : images.get(loaded).id;
                  publish(events, "load", id, id);
                });
  } catch (const std::exception& e) {
    if (!started) {
      drain_body(req);
      throw;  // nothing sent yet: a plain error answer the CLI prints
    }
    res.write(json{{"errorDetail", {{"message", e.what()}}}, {"error", e.what()}}.dump() + "\n");
  }
  if (!started) res.start_stream(200, "application/json");
  res.finish();
}

void save_images(http::Response& res, const ImageStore& images, EventBus& events,
                 const std::vector<std::string>& names) {
  bool started = false;
  images.save(names, [&](std::string_view data) {
    if (!started) res.start_stream(200, "application/x-tar");
    started = true;
    res.write(data);
  });
  if (!started) res.start_stream(200, "application/x-tar");
  res.finish();
  for (const auto& name : names) {
    try {
      const std::string id = images.get(name).id;
      publish(events, "save", id, id);
    } catch (const std::exception&) {
    }
  }
}

}  // namespace

void add_image_routes(http::Router& r, ImageStore& images, EventBus& events,
                      std::function<bool(const std::string& image_id)> image_in_use,
                      ImageUsersFn containers_using) {
  // Fixed paths first: the router takes the first match, and "{name*}" would swallow "json".
  r.add("GET", "/images/json", [&images](http::Request& req, http::Response& res) {
    res.send_json(200, list_images(req, images));
  });

  r.add("POST", "/images/create", [&images, &events](http::Request& req, http::Response& res) {
    if (!req.query("fromImage").value_or("").empty()) return refuse_pull(req, res);
    if (req.query("fromSrc")) return import_image(req, res, images, events);
    throw InvalidArgument("either fromImage or fromSrc is required");
  });

  r.add("POST", "/images/load", [&images, &events](http::Request& req, http::Response& res) {
    load_images(req, res, images, events);
  });

  r.add("GET", "/images/get", [&images, &events](http::Request& req, http::Response& res) {
    save_images(res, images, events, req.query_all("names"));
  });

  r.add("POST", "/images/prune",
        [&images, &events, image_in_use](http::Request& req, http::Response& res) {
          const auto filter = ImageFilter::parse(
              req.query("filters").value_or(""), {"dangling", "until", "label", "label!"},
              [&](const std::string& ref) { return images.get(ref).created_unix; });
          const auto before = image_ids(images);
          auto [items, reclaimed] =
              images.prune(filter.dangling() == false, image_in_use,
                           [&](const Image& image) { return filter.matches(image); });
          publish_removals(events, items, before, "");
          events.publish(Event{.type = "image",
                               .action = "prune",
                               .attributes = {{"reclaimed", std::to_string(reclaimed)}}});
          res.send_json(200, {{"ImagesDeleted", items.empty() ? json(nullptr) : json(items)},
                              {"SpaceReclaimed", reclaimed}});
        });

  // Registries are not there yet: answer the calls that need one with a clear refusal instead of
  // a 404/405 the CLI would print as a routing error.
  r.add("GET", "/images/search", [](http::Request&, http::Response& res) {
    res.send_error(501,
                   "berth cannot reach registries yet (no registry client): search is not "
                   "available");
  });
  r.add("GET", "/distribution/{name*}/json", [](http::Request& req, http::Response& res) {
    res.send_error(501,
                   "berth cannot reach registries yet (no registry client): cannot look up "
                   "the distribution of " +
                       req.param("name"));
  });
  r.add("POST", "/images/{name*}/push", [](http::Request& req, http::Response& res) {
    res.send_error(501, "berth cannot reach registries yet (no registry client): cannot push " +
                            req.param("name"));
  });

  r.add("GET", "/images/{name*}/json", [&images](http::Request& req, http::Response& res) {
    Image image;
    try {
      image = images.get(req.param("name"));
    } catch (const NotFound& e) {
      throw NotFound("no such image: " + req.param("name") + ": " + e.what());  // dockerd's words
    }
    res.send_json(200, image_inspect(image, images.layer_dirs(image),
                                     images.last_tag_time(image.id), api_version(req)));
  });

  r.add("GET", "/images/{name*}/history", [&images](http::Request& req, http::Response& res) {
    res.send_json(200, images.history(req.param("name")));
  });

  r.add("GET", "/images/{name*}/get", [&images, &events](http::Request& req, http::Response& res) {
    save_images(res, images, events, {req.param("name")});
  });

  r.add("POST", "/images/{name*}/tag", [&images, &events](http::Request& req, http::Response& res) {
    const std::string target =
        repo_tag_reference(req.query("repo").value_or(""), req.query("tag").value_or(""));
    images.tag(req.param("name"), target);
    const std::string id = images.get(target).id;
    publish(events, "tag", id, Reference::parse(target).familiar_string());
    res.send_empty(201);
  });

  r.add("DELETE", "/images/{name*}",
        [&images, &events, containers_using](http::Request& req, http::Response& res) {
          const std::string name = req.param("name");
          const std::string target_id = images.get(name).id;
          const auto before = image_ids(images);
          const auto items = images.remove_used_by(name, req.query_bool("force"),
                                                   !req.query_bool("noprune"), containers_using);
          publish_removals(events, items, before, target_id);
          res.send_json(200, items);
        });
}

}  // namespace berth::engine::api
