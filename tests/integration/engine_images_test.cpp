// The image store with real files (root: layers keep their owners): the busybox docker-archive
// loaded, listed, tagged, removed, saved and loaded back into a fresh store; OCI layouts with
// compressed layers; import; docker's rmi/prune rules; and a store reopened from disk.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "common/error.hpp"
#include "engine/images/image_store.hpp"
#include "engine_images_support.hpp"

using namespace berth;
using namespace berth::engine;
using namespace berth::test::images;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The config digest manifest.json names, which must become the image ID.
std::string busybox_id() {
  for (const auto& m : list_tar(read_whole(busybox_tar())))
    if (m.name == "manifest.json")
      return "sha256:" + json::parse(m.data)[0]["Config"].get<std::string>().substr(0, 64);
  FAIL("busybox.tar has no manifest.json");
  return "";
}

std::vector<std::string> load(ImageStore& store, ReadFn read) {
  std::vector<std::string> loaded;
  store.load(read, [&](const std::string& name) { loaded.push_back(name); });
  return loaded;
}

auto never_used = [](const std::string&) { return false; };

}  // namespace

TEST_CASE("busybox.tar loads, lists, tags, saves and loads back byte for byte", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  CHECK(load(store, file_reader(busybox_tar())) == std::vector<std::string>{"busybox:latest"});

  const std::string id = busybox_id();
  auto images = store.list();
  REQUIRE(images.size() == 1);
  const Image image = images[0];
  CHECK(image.id == id);
  CHECK(image.repo_tags == std::vector<std::string>{"busybox:latest"});
  CHECK(image.config["config"]["Cmd"] == json({"sh"}));
  REQUIRE(image.diff_ids.size() == 1);
  CHECK(image.chain_ids == image.diff_ids);  // a one-layer image's chain ID is its diff ID
  CHECK(store.get("busybox").id == id);
  CHECK(store.get("docker.io/library/busybox:latest").id == id);
  CHECK(store.get(id).id == id);
  CHECK(store.get(id.substr(7, 12)).id == id);
  CHECK_THROWS_WITH(store.get("nosuch"), "No such image: nosuch:latest");
  CHECK_THROWS_AS(store.get("busybox:1"), NotFound);

  // The layer is unpacked once, with owners, modes, and the applets as hard links.
  const auto dirs = store.layer_dirs(image);
  REQUIRE(dirs.size() == 1);
  struct stat busybox {
  }, sh{}, tmp{};
  REQUIRE(::stat((dirs[0] / "bin/busybox").c_str(), &busybox) == 0);
  REQUIRE(::stat((dirs[0] / "bin/sh").c_str(), &sh) == 0);
  REQUIRE(::stat((dirs[0] / "tmp").c_str(), &tmp) == 0);
  CHECK(busybox.st_ino == sh.st_ino);
  CHECK((busybox.st_mode & 07777) == 0755);
  CHECK((tmp.st_mode & 07777) == 01777);
  CHECK(image.size ==
        busybox.st_size + static_cast<int64_t>(fs::file_size(dirs[0] / "etc/passwd") +
                                               fs::file_size(dirs[0] / "etc/group") +
                                               fs::file_size(dirs[0] / "etc/shadow")));

  // Tags.
  store.tag("busybox", "team/bb:1");
  CHECK(store.get("team/bb:1").id == id);
  CHECK(store.get("busybox").repo_tags == std::vector<std::string>{"busybox:latest", "team/bb:1"});
  CHECK_FALSE(store.last_tag_time(id).empty());
  CHECK_THROWS_WITH(store.tag("busybox", "x@sha256:" + std::string(64, 'a')),
                    "refusing to create a tag with a digest reference");
  CHECK_THROWS_AS(store.tag("busybox", "Bad"), InvalidArgument);
  CHECK_THROWS_AS(store.tag("nosuch", "x"), NotFound);

  // Save both tags, then load into a fresh store: same ID, tags, layer and history.
  std::string saved;
  store.save({"busybox", "team/bb:1"}, [&](std::string_view d) { saved.append(d); });
  std::set<std::string> names;
  for (const auto& m : list_tar(saved)) names.insert(m.name);
  CHECK(names.count("manifest.json"));
  CHECK(names.count("index.json"));
  CHECK(names.count("oci-layout"));
  CHECK(names.count("blobs/sha256/" + id.substr(7)));
  CHECK(names.count("blobs/sha256/" + image.diff_ids[0].substr(7)));
  for (const auto& m : list_tar(saved)) {
    if (m.name == "blobs/sha256/" + id.substr(7)) CHECK(sha256_digest(m.data) == id);
    if (m.name == "blobs/sha256/" + image.diff_ids[0].substr(7))
      CHECK(sha256_digest(m.data) == image.diff_ids[0]);
    if (m.name == "manifest.json")
      CHECK(json::parse(m.data)[0]["RepoTags"] == json({"busybox:latest", "team/bb:1"}));
  }
  ImageStore fresh(dir / "image2");
  CHECK(load(fresh, string_reader(saved)) ==
        std::vector<std::string>{"busybox:latest", "team/bb:1"});
  const Image reloaded = fresh.get("team/bb:1");
  CHECK(reloaded.id == id);
  CHECK(reloaded.diff_ids == image.diff_ids);
  CHECK(reloaded.size == image.size);
  CHECK(fresh.history("busybox") == store.history("busybox"));
  // Saved by ID: no tags in the manifest.
  std::string by_id;
  store.save({id}, [&](std::string_view d) { by_id.append(d); });
  for (const auto& m : list_tar(by_id))
    if (m.name == "manifest.json") CHECK(json::parse(m.data)[0]["RepoTags"].is_null());
  CHECK_THROWS_AS(store.save({"busybox", "nosuch"}, [](std::string_view) { FAIL("wrote"); }),
                  NotFound);

  // Loading again is harmless: same image, nothing duplicated.
  CHECK(load(store, string_reader(saved)) ==
        std::vector<std::string>{"busybox:latest", "team/bb:1"});
  CHECK(store.list().size() == 1);

  // The store comes back from disk.
  ImageStore reopened(dir / "image");
  CHECK(reopened.get("team/bb:1").id == id);
  CHECK(reopened.get("busybox").size == image.size);
  CHECK(reopened.last_tag_time(id) == store.last_tag_time(id));
}

TEST_CASE("rmi follows docker: untag, conflicts, delete with layers", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  load(store, file_reader(busybox_tar()));
  const std::string id = busybox_id();
  const std::string short_id = id.substr(7, 12);
  const fs::path layer = store.layer_dirs(store.get(id))[0].parent_path();
  store.tag("busybox", "other:1");

  // By ID with two repositories: refused without force.
  CHECK_THROWS_WITH(store.remove(id, false, true, never_used),
                    "conflict: unable to delete " + short_id +
                        " (must be forced) - image is referenced in multiple repositories");
  // A tag of an image with several: only the tag goes.
  CHECK(store.remove("other:1", false, true, never_used) ==
        std::vector<json>{{{"Untagged", "other:1"}}});
  CHECK(store.get(id).repo_tags == std::vector<std::string>{"busybox:latest"});

  // Used by a container: docker's messages naming it. Forced, the image leaves the lists and
  // names as in docker, but stays for the container (by full ID) until nothing uses it.
  const std::string container(64, 'c');
  bool in_use = true;
  auto users = [&](const std::string& image) {
    return image == id && in_use ? std::vector<std::string>{container} : std::vector<std::string>{};
  };
  CHECK_THROWS_WITH(store.remove_used_by("busybox", false, true, users),
                    "conflict: unable to remove repository reference \"busybox\" (must force) - "
                    "container cccccccccccc is using its referenced image " +
                        short_id);
  CHECK_THROWS_WITH(store.remove_used_by(id, false, true, users),
                    "conflict: unable to delete " + short_id +
                        " (must be forced) - image is being used by container cccccccccccc");
  CHECK(store.remove_used_by("busybox", true, true, users) ==
        std::vector<json>{{{"Untagged", "busybox:latest"}}, {{"Deleted", id}}});
  CHECK(store.list().empty());
  CHECK_THROWS_AS(store.get(short_id), NotFound);
  CHECK_THROWS_AS(store.remove_used_by(id, true, true, users), NotFound);
  CHECK(store.get(id).id == id);  // the container's own lookup
  CHECK(fs::exists(layer / "diff/bin/busybox"));
  CHECK(ImageStore(dir / "image").list().empty());  // retained across restarts
  CHECK(ImageStore(dir / "image").get(id).id == id);
  CHECK(store.prune(true, [&](const std::string& i) { return i == id; }).first.empty());
  CHECK(fs::exists(layer / "diff/bin/busybox"));

  // Loaded again while retained: back in view.
  load(store, file_reader(busybox_tar()));
  CHECK(store.get("busybox").id == id);
  CHECK(store.remove_used_by("busybox", true, true, users).size() == 2);

  // The container is gone: collect_retained (or the next removal or prune) deletes it, silently.
  store.collect_retained([](const std::string&) { return true; });
  CHECK(store.get(id).id == id);
  in_use = false;
  store.collect_retained(never_used);
  CHECK_THROWS_AS(store.get(id), NotFound);
  CHECK_FALSE(fs::exists(layer));
  CHECK(tree(dir / "image/blobs/sha256").empty());
  CHECK(tree(dir / "image/layers").empty());
  CHECK(tree(dir / "image/imagedb").empty());
  load(store, file_reader(busybox_tar()));
  in_use = true;
  CHECK(store.remove_used_by("busybox", true, true, users).size() == 2);
  in_use = false;
  CHECK(store.prune(false, never_used).first.empty());
  CHECK_THROWS_AS(store.get(id), NotFound);
  CHECK(tree(dir / "image/layers").empty());

  // Prune: dangling only skips tagged images; all takes unused tagged ones too.
  load(store, file_reader(busybox_tar()));
  const std::string diff_id = store.get(id).diff_ids[0];
  CHECK(store.remove("busybox:latest", false, false, never_used).size() == 3);
  load(store, file_reader(busybox_tar()));
  store.tag(id, "tmp:1");
  CHECK(store.remove("busybox", false, true, never_used) ==
        std::vector<json>{{{"Untagged", "busybox:latest"}}});
  CHECK(store.prune(false, never_used).first.empty());  // tagged: not dangling
  const auto all = store.prune(true, never_used);
  CHECK(all.first ==
        std::vector<json>{{{"Untagged", "tmp:1"}}, {{"Deleted", id}}, {{"Deleted", diff_id}}});
  CHECK(all.second > 1000000);
  CHECK(store.list().empty());
  CHECK(tree(dir / "image/blobs/sha256").empty());

  // By name, last reference: untagged and deleted in docker's order.
  load(store, file_reader(busybox_tar()));
  CHECK(store.remove("busybox", false, true, never_used) ==
        std::vector<json>{
            {{"Untagged", "busybox:latest"}}, {{"Deleted", id}}, {{"Deleted", diff_id}}});
  CHECK_THROWS_WITH(store.remove("busybox", false, true, never_used),
                    "No such image: busybox:latest");

  // An untagged image is dangling: announced by ID, pruned by default.
  const auto untagged = docker_archive({make_tar({{.name = "f", .data = "12345"}})}, "");
  CHECK(load(store, string_reader(untagged.archive)) == std::vector<std::string>{untagged.id});
  const auto pruned = store.prune(false, never_used);
  REQUIRE(pruned.first.size() == 2);
  CHECK(pruned.first[0] == json{{"Deleted", untagged.id}});
  CHECK(pruned.second == 5);
}

TEST_CASE("OCI layouts with gzip layers load, with the tag from the annotations", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  const std::string layer1 = make_tar(
      {{.name = "etc/", .type = 'd', .mode = 0755}, {.name = "etc/hello", .data = "hello\n"}});
  const std::string layer2 =
      make_tar({{.name = "etc/.wh.hello"}, {.name = "etc/bye", .data = "b"}});
  const std::string gz1 = make_tar(
      {{.name = "etc/", .type = 'd', .mode = 0755}, {.name = "etc/hello", .data = "hello\n"}},
      true);
  REQUIRE(gz1.substr(0, 2) == "\x1f\x8b");
  const json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", {{"Cmd", {"cat", "/etc/bye"}}}},
      {"rootfs",
       {{"type", "layers"}, {"diff_ids", {sha256_digest(layer1), sha256_digest(layer2)}}}}};
  const std::string config_bytes = config.dump();
  const json manifest = {{"schemaVersion", 2},
                         {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                         {"config",
                          {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                           {"digest", sha256_digest(config_bytes)},
                           {"size", config_bytes.size()}}},
                         {"layers",
                          {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                            {"digest", sha256_digest(gz1)},
                            {"size", gz1.size()}},
                           {{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                            {"digest", sha256_digest(layer2)},
                            {"size", layer2.size()}}}}};
  const std::string manifest_bytes = manifest.dump();
  const json index = {{"schemaVersion", 2},
                      {"manifests",
                       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                         {"digest", sha256_digest(manifest_bytes)},
                         {"size", manifest_bytes.size()},
                         {"annotations",
                          {{"io.containerd.image.name", "localhost:5000/team/app:v2"},
                           {"org.opencontainers.image.ref.name", "v2"}}}}}}};
  auto blob = [](const std::string& bytes) {
    return Member{.name = "blobs/sha256/" + sha256_digest(bytes).substr(7), .data = bytes};
  };
  const std::string archive =
      make_tar({{.name = "oci-layout", .data = R"({"imageLayoutVersion":"1.0.0"})"},
                blob(gz1),
                blob(layer2),
                blob(config_bytes),
                blob(manifest_bytes),
                {.name = "index.json", .data = index.dump()}});
  CHECK(load(store, string_reader(archive)) ==
        std::vector<std::string>{"localhost:5000/team/app:v2"});
  const Image image = store.get("localhost:5000/team/app:v2");
  CHECK(image.id == sha256_digest(config_bytes));
  const auto dirs = store.layer_dirs(image);
  REQUIRE(dirs.size() == 2);
  CHECK(read_whole(dirs[1] / "etc/hello") == "hello\n");
  // The upper layer's whiteout is an overlayfs whiteout: a 0/0 character device.
  struct stat wh {};
  REQUIRE(::lstat((dirs[0] / "etc/hello").c_str(), &wh) == 0);
  CHECK(S_ISCHR(wh.st_mode));
  CHECK(wh.st_rdev == 0);
  CHECK_FALSE(fs::exists(dirs[0] / "etc/.wh.hello"));
  // The stored blob is the uncompressed tar, so save gives the diff ID back.
  CHECK(read_whole(dir / "image/blobs/sha256" / sha256_digest(layer1).substr(7)) == layer1);

  // A manifest whose layer blob does not match its digest is refused.
  const std::string bad =
      make_tar({{.name = "oci-layout", .data = "{}"},
                {.name = "blobs/sha256/" + sha256_digest(gz1).substr(7), .data = layer2},
                blob(layer2),
                blob(config_bytes),
                blob(manifest_bytes),
                {.name = "index.json", .data = index.dump()}});
  ImageStore other(dir / "other");
  CHECK_THROWS_WITH(load(other, string_reader(bad)), Catch::Contains("does not match its digest"));
  CHECK(other.list().empty());
}

TEST_CASE("import makes a one-layer image from a compressed rootfs tar", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  const std::string rootfs =
      make_tar({{.name = "./", .type = 'd', .mode = 0755},
                {.name = "./bin/", .type = 'd', .mode = 0755},
                {.name = "./bin/tool", .data = "#!/bin/sh\n", .mode = 0755}});
  const std::string gz = make_tar({{.name = "./", .type = 'd', .mode = 0755},
                                   {.name = "./bin/", .type = 'd', .mode = 0755},
                                   {.name = "./bin/tool", .data = "#!/bin/sh\n", .mode = 0755}},
                                  true);
  const Image image =
      store.import(string_reader(gz), {{"Cmd", {"/bin/tool"}}}, "imported:1", "Imported from -");
  CHECK(image.repo_tags == std::vector<std::string>{"imported:1"});
  CHECK(image.diff_ids == std::vector<std::string>{sha256_digest(rootfs)});
  CHECK(image.config["config"]["Cmd"] == json({"/bin/tool"}));
  CHECK(image.config["comment"] == "Imported from -");
  CHECK(image.size == 10);
  const auto history = store.history("imported:1");
  REQUIRE(history.size() == 1);
  CHECK(history[0]["Comment"] == "Imported from -");
  CHECK(history[0]["Size"] == 10);
  CHECK(history[0]["Tags"] == json({"imported:1"}));
  CHECK(history[0]["Id"] == image.id);
  CHECK(fs::exists(store.layer_dirs(image)[0] / "bin/tool"));

  CHECK_THROWS_AS(store.import(string_reader("this is not a tar"), json::object(), "", ""),
                  InvalidArgument);
  CHECK_THROWS_AS(store.import(string_reader(gz), json::object(), "Bad:ref", ""), InvalidArgument);
  CHECK(store.list().size() == 1);
  CHECK(tree(dir / "image/tmp").empty());
}

TEST_CASE("legacy archives with a layer shared through a symlink load both images", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  const std::string base = make_tar({{.name = "base", .data = "b"}});
  const std::string top = make_tar({{.name = "top", .data = "tt"}});
  auto config = [](const std::vector<std::string>& layers, const std::string& created) {
    json diff_ids = json::array();
    for (const auto& l : layers) diff_ids.push_back(sha256_digest(l));
    return json{{"architecture", "amd64"},
                {"os", "linux"},
                {"created", created},
                {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
        .dump();
  };
  const std::string one = config({base}, "2024-01-01T00:00:00Z");
  const std::string two = config({base, top}, "2024-02-01T00:00:00Z");
  const std::string one_hex = sha256_digest(one).substr(7), two_hex = sha256_digest(two).substr(7);
  // docker before 25 writes a layer once and links to it from every other image that has it.
  const json manifest = {
      {{"Config", one_hex + ".json"}, {"RepoTags", {"one:1"}}, {"Layers", {"a/layer.tar"}}},
      {{"Config", two_hex + ".json"},
       {"RepoTags", {"two:1", "two:latest"}},
       {"Layers", {"b/layer.tar", "c/layer.tar"}}}};
  const std::string archive =
      make_tar({{.name = "a/", .type = 'd', .mode = 0755},
                {.name = "a/layer.tar", .data = base},
                {.name = "b/", .type = 'd', .mode = 0755},
                {.name = "b/layer.tar", .type = 'l', .link = "../a/layer.tar"},
                {.name = "c/", .type = 'd', .mode = 0755},
                {.name = "c/layer.tar", .data = top},
                {.name = one_hex + ".json", .data = one},
                {.name = two_hex + ".json", .data = two},
                {.name = "manifest.json", .data = manifest.dump()}});
  CHECK(load(store, string_reader(archive)) ==
        std::vector<std::string>{"one:1", "two:1", "two:latest"});
  const Image first = store.get("one:1"), second = store.get("two:latest");
  CHECK(second.chain_ids[0] == first.chain_ids[0]);  // one layer dir for both
  CHECK(store.layer_dirs(second)[1] == store.layer_dirs(first)[0]);
  // Two layer dirs, each: itself, diff/, diff/<file>, diff_id, parent, size.
  CHECK(tree(dir / "image/layers").size() == 2 * 6);
  CHECK(second.size == 3);
  // Removing one keeps the shared layer for the other.
  store.remove("one:1", false, true, never_used);
  CHECK(fs::exists(store.layer_dirs(second)[1] / "base"));
  CHECK(store.remove("two:1", false, true, never_used).size() == 1);
  CHECK(store.remove("two", false, true, never_used).size() == 4);  // untag, image, 2 layers
  CHECK(tree(dir / "image/layers").empty());
}

TEST_CASE("concurrent loads of the same image end with one copy", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  std::vector<std::thread> threads;
  std::atomic<int> loaded{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back(
        [&] { store.load(file_reader(busybox_tar()), [&](const std::string&) { ++loaded; }); });
  while (loaded < 4) (void)store.list();  // reads go on while layers unpack
  for (auto& t : threads) t.join();
  REQUIRE(store.list().size() == 1);
  const Image image = store.get("busybox");
  CHECK(fs::exists(store.layer_dirs(image)[0] / "bin/busybox"));
  CHECK(tree(dir / "image/layers").size() > 100);
  CHECK(std::distance(fs::directory_iterator(dir / "image/layers"), fs::directory_iterator()) == 1);
  CHECK(tree(dir / "image/tmp").empty());
}
