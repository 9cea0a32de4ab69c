// The image routes as the stock docker CLI drives them: a Server with only the image routes (and
// /_ping) on a unix socket, and `docker` commands against it. Checks what the user sees (output,
// exit codes, error lines) and the events the routes publish.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "common/http_server.hpp"
#include "common/subprocess.hpp"
#include "engine/api/api_server.hpp"
#include "engine/api/image_routes.hpp"
#include "engine/events.hpp"
#include "engine/images/image_store.hpp"
#include "engine_images_support.hpp"

using namespace berth;
using namespace berth::engine;
using namespace berth::test::images;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class ImageApi {
 public:
  ImageApi() : store_(dir_ / "image") {
    http::Router router;
    auto ping = [](http::Request&, http::Response& res) { res.send(200, "OK", "text/plain"); };
    router.add("GET", "/_ping", ping);
    router.add("HEAD", "/_ping", ping);
    api::add_image_routes(
        router, store_, events_, [this](const std::string& id) { return id == used_; },
        [this](const std::string& id) {
          // A stopped container uses `used_`.
          return id == used_ ? std::vector<ImageUser>{{std::string(64, 'e'), false}}
                             : std::vector<ImageUser>{};
        });
    server_ = std::make_unique<http::Server>(std::move(router));
    server_->set_default_headers({{"Api-Version", "1.50"}, {"Ostype", "linux"}});
    server_->set_request_filter(api::version_filter);
    socket_ = dir_ / "api.sock";
    server_->listen({.endpoint = Endpoint::parse("unix://" + socket_.string(), 0)});
    fs::create_directories(dir_ / "client");
    subscription_ = events_.subscribe();
  }
  ~ImageApi() { server_->stop(1s); }

  CaptureResult docker(std::vector<std::string> args, std::string_view input = {}) {
    args.insert(args.begin(), "docker");
    SpawnOptions options{.argv = args,
                         .search_path = true,
                         .env = {{"DOCKER_HOST", "unix://" + socket_.string()},
                                 {"DOCKER_CONFIG", (dir_ / "client").string()}}};
    return run_capture(options, input, 60s);
  }

  // Actions of the image events published so far, as "action name".
  std::vector<std::string> events() {
    std::vector<std::string> out;
    while (auto e = subscription_->next(10ms))
      out.push_back(e->action + " " + e->attributes["name"]);
    return out;
  }

  const ScratchDir& dir() const { return dir_; }
  void set_used(std::string id) { used_ = std::move(id); }

 private:
  ScratchDir dir_;
  ImageStore store_;
  EventBus events_;
  std::unique_ptr<http::Server> server_;
  fs::path socket_;
  std::unique_ptr<EventBus::Subscription> subscription_;
  std::string used_;
};

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("the docker CLI loads, lists, tags, saves and removes images", "[images]") {
  REQUIRE(::geteuid() == 0);
  ImageApi api;
  auto r = api.docker({"load", "-i", busybox_tar().string()});
  CHECK(r.status.success());
  CHECK(trimmed(r.stdout_data) == "Loaded image: busybox:latest");
  const std::string id =
      trimmed(api.docker({"image", "inspect", "-f", "{{.Id}}", "busybox"}).stdout_data);
  CHECK(api.events() == std::vector<std::string>{"load " + id});

  r = api.docker({"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"});
  CHECK(trimmed(r.stdout_data) == "busybox:latest " + id.substr(7, 12));
  r = api.docker(
      {"image", "inspect", "-f",
       "{{json .RepoTags}} {{.GraphDriver.Name}} {{len .RootFS.Layers}} {{json .Config.Cmd}}",
       "busybox"});
  CHECK(trimmed(r.stdout_data) == R"(["busybox:latest"] overlay2 1 ["sh"])");

  CHECK(api.docker({"tag", "busybox", "team/app:v1"}).status.success());
  r = api.docker(
      {"images", "--filter", "reference=team/*", "--format", "{{.Repository}}:{{.Tag}}"});
  CHECK(trimmed(r.stdout_data) == "team/app:v1");
  r = api.docker({"history", "--format", "{{.ID}} {{.Size}}", "team/app:v1"});
  CHECK(trimmed(r.stdout_data) == id.substr(7, 12) + " 1.98MB");

  // save to a file, remove everything, load it back.
  const std::string layer = trimmed(
      api.docker({"image", "inspect", "-f", "{{index .RootFS.Layers 0}}", "busybox"}).stdout_data);
  const std::string saved = (api.dir() / "saved.tar").string();
  CHECK(api.docker({"save", "-o", saved, "busybox", "team/app:v1"}).status.success());
  r = api.docker({"rmi", "busybox", "team/app:v1"});
  CHECK(r.status.success());
  CHECK(r.stdout_data == "Untagged: busybox:latest\nUntagged: team/app:v1\nDeleted: " + id +
                             "\nDeleted: " + layer + "\n");
  CHECK(trimmed(api.docker({"images", "-q"}).stdout_data).empty());
  r = api.docker({"load"}, read_whole(saved));
  CHECK(r.stdout_data == "Loaded image: busybox:latest\nLoaded image: team/app:v1\n");
  CHECK(trimmed(api.docker({"image", "inspect", "-f", "{{.Id}}", "team/app:v1"}).stdout_data) ==
        id);
  CHECK(api.events() == std::vector<std::string>{"tag team/app:v1", "save " + id, "save " + id,
                                                 "untag " + id, "untag " + id, "delete " + id,
                                                 "load " + id, "load " + id});

  // A container uses it: docker's conflict, then rmi -f untags and hides it.
  api.set_used(id);
  r = api.docker({"rmi", "team/app:v1"});  // another tag is left: only untagged
  CHECK(r.stdout_data == "Untagged: team/app:v1\n");
  r = api.docker({"rmi", "busybox"});
  CHECK(r.status.exited);
  CHECK(r.status.code == 1);
  CHECK(trimmed(r.stderr_data) ==
        "Error response from daemon: conflict: unable to remove repository reference \"busybox\" "
        "(must force) - container eeeeeeeeeeee is using its referenced image " +
            id.substr(7, 12));
  r = api.docker({"rmi", "-f", "busybox"});
  CHECK(r.stdout_data == "Untagged: busybox:latest\nDeleted: " + id + "\n");
  CHECK(trimmed(api.docker({"images", "-q"}).stdout_data).empty());

  // Errors the CLI prints as docker's.
  r = api.docker({"rmi", "nosuch"});
  CHECK(trimmed(r.stderr_data) == "Error response from daemon: No such image: nosuch:latest");
  r = api.docker({"load"}, make_tar({{.name = "hello", .data = "x"}}));
  CHECK(r.status.code == 1);
  CHECK_THAT(r.stderr_data, Catch::StartsWith("Error response from daemon: invalid archive: no "
                                              "manifest.json or index.json"));
  r = api.docker({"images", "--filter", "colour=red"});
  CHECK(trimmed(r.stderr_data) == "Error response from daemon: Invalid filter 'colour'");
}

TEST_CASE("pull says registries are not there yet and docker run reports it", "[images]") {
  REQUIRE(::geteuid() == 0);
  ImageApi api;
  auto r = api.docker({"pull", "nosuch"});
  CHECK(r.status.code == 1);
  CHECK_THAT(r.stderr_data,
             Catch::Contains("Error response from daemon: pull access denied for nosuch: berth "
                             "cannot reach registries yet (no registry client); load the image "
                             "with docker load"));
  r = api.docker({"pull", "localhost:5000/team/app:1"});
  CHECK(r.status.code == 1);
  CHECK_THAT(r.stderr_data, Catch::Contains("pull access denied for localhost:5000/team/app"));
}

TEST_CASE("docker import with --change and --message, history and prune", "[images]") {
  REQUIRE(::geteuid() == 0);
  ImageApi api;
  const std::string rootfs = make_tar({{.name = "hello", .data = "hello\n"}}, true);
  auto r = api.docker({"import", "-c", "CMD [\"cat\", \"/hello\"]", "-c", "ENV A=1", "-m",
                       "from a test", "-", "imported:1"},
                      rootfs);
  CHECK(r.status.success());
  const std::string id = trimmed(r.stdout_data);
  CHECK(id.starts_with("sha256:"));
  CHECK(api.events() == std::vector<std::string>{"import " + id, "tag imported:1"});
  r = api.docker({"image", "inspect", "-f",
                  "{{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}}", "imported:1"});
  CHECK(trimmed(r.stdout_data) == R"(["cat","/hello"] ["A=1"] from a test)");
  r = api.docker({"history", "--format", "{{.Size}}|{{.Comment}}", "imported:1"});
  CHECK(trimmed(r.stdout_data) == "6B|from a test");
  r = api.docker({"import", "-c", "FROM x", "-"}, rootfs);
  CHECK(trimmed(r.stderr_data) == "Error response from daemon: from is not a valid change command");

  // Untagged, it is dangling and pruned by default.
  CHECK(api.docker({"rmi", "imported:1"}).status.success());
  r = api.docker({"import", "-"}, rootfs);
  const std::string dangling = trimmed(r.stdout_data);
  r = api.docker({"images", "--filter", "dangling=true", "-q", "--no-trunc"});
  CHECK(trimmed(r.stdout_data) == dangling);
  api.events();
  r = api.docker({"image", "prune", "-f"});
  CHECK(r.status.success());
  CHECK_THAT(r.stdout_data, Catch::Contains("deleted: " + dangling) &&
                                Catch::Contains("Total reclaimed space: 6B"));
  const auto events = api.events();
  CHECK(std::count(events.begin(), events.end(), "delete " + dangling) == 1);
  CHECK(events.back() == "prune ");
}
