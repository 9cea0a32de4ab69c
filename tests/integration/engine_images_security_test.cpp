// Hostile archives: layers that try to write outside the store through "..", absolute names,
// symlinks and hard links, a layer whose digest lies, and a `docker cp` upload through a symlink.
// Each is refused with a message naming the entry, and nothing appears outside the target.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>

#include "common/error.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/rootfs.hpp"
#include "engine_images_support.hpp"

using namespace berth;
using namespace berth::engine;
using namespace berth::test::images;
namespace fs = std::filesystem;

namespace {

std::string unique_name(const std::string& stem) {
  std::random_device rd;
  return stem + "-" + std::to_string(rd()) + std::to_string(::getpid());
}

// Loads an image with this single layer and returns the error; the store must stay empty.
std::string refused_layer(const ScratchDir& dir, const std::string& layer) {
  ImageStore store(dir / "image");
  const auto image = docker_archive({layer}, "evil:latest");
  std::string error = "(loaded)";
  try {
    store.load(string_reader(image.archive), [](const std::string&) {});
  } catch (const InvalidArgument& e) {
    error = e.what();
  }
  CHECK(store.list().empty());
  CHECK(tree(dir / "image/layers").empty());
  CHECK(tree(dir / "image/imagedb").empty());
  CHECK(tree(dir / "image/blobs/sha256").empty());
  CHECK(tree(dir / "image/tmp").empty());
  return error;
}

}  // namespace

TEST_CASE("layers cannot write outside their directory", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;

  SECTION("a .. component") {
    // Deep enough to reach / from wherever the layer is unpacked.
    const std::string target = unique_name("berth-escape");
    std::string name;
    for (int i = 0; i < 30; ++i) name += "../";
    name += "tmp/" + target;
    const std::string error =
        refused_layer(dir, make_tar({{.name = "ok", .data = "1"}, {.name = name, .data = "x"}}));
    CHECK_THAT(error, Catch::Contains(name) && Catch::Contains(".."));
    CHECK_FALSE(fs::exists("/tmp/" + target));
    CHECK_FALSE(fs::exists(dir / target));
  }

  SECTION("an absolute name") {
    const std::string target = "/tmp/" + unique_name("berth-evil");
    const std::string error = refused_layer(dir, make_tar({{.name = target, .data = "x"}}));
    CHECK_THAT(error, Catch::Contains(target) && Catch::Contains("absolute"));
    CHECK_FALSE(fs::exists(target));
  }

  SECTION("a symlink to / followed by an entry through it") {
    const std::string target = unique_name("berth-pwned");
    const std::string error =
        refused_layer(dir, make_tar({{.name = "evil", .type = 'l', .link = "/"},
                                     {.name = "evil/tmp/" + target, .data = "x"}}));
    CHECK_THAT(error, Catch::Contains("evil/tmp/" + target) && Catch::Contains("symlink"));
    CHECK_FALSE(fs::exists("/tmp/" + target));
  }

  SECTION("a symlinked directory replaced midway is not followed either") {
    const std::string target = unique_name("berth-pwned2");
    const std::string error =
        refused_layer(dir, make_tar({{.name = "d/", .type = 'd', .mode = 0755},
                                     {.name = "d", .type = 'l', .link = "/tmp"},
                                     {.name = "d/" + target, .data = "x"}}));
    CHECK_THAT(error, Catch::Contains("d/" + target));
    CHECK_FALSE(fs::exists("/tmp/" + target));
  }

  SECTION("a hard link to /etc/passwd") {
    struct stat before {};
    REQUIRE(::stat("/etc/passwd", &before) == 0);
    const std::string error =
        refused_layer(dir, make_tar({{.name = "passwd", .type = 'h', .link = "/etc/passwd"}}));
    CHECK_THAT(error, Catch::Contains("\"passwd\"") && Catch::Contains("/etc/passwd"));
    struct stat after {};
    REQUIRE(::stat("/etc/passwd", &after) == 0);
    CHECK(after.st_nlink == before.st_nlink);
  }

  SECTION("a hard link whose target climbs out with ..") {
    struct stat before {};
    REQUIRE(::stat("/etc/passwd", &before) == 0);
    std::string link;
    for (int i = 0; i < 30; ++i) link += "../";
    const std::string error = refused_layer(
        dir, make_tar({{.name = "passwd", .type = 'h', .link = link + "etc/passwd"}}));
    CHECK_THAT(error, Catch::Contains("\"passwd\"") && Catch::Contains("leaves the archive"));
    struct stat after {};
    REQUIRE(::stat("/etc/passwd", &after) == 0);
    CHECK(after.st_nlink == before.st_nlink);
  }

  SECTION("a hard link through a symlink") {
    const std::string error =
        refused_layer(dir, make_tar({{.name = "etc", .type = 'l', .link = "/etc"},
                                     {.name = "passwd", .type = 'h', .link = "etc/passwd"}}));
    CHECK_THAT(error, Catch::Contains("\"passwd\""));
  }
}

TEST_CASE("a layer whose content does not match its diff_id is refused", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  const std::string layer = make_tar({{.name = "file", .data = "real"}});
  const std::string claimed = sha256_digest("something else");
  const auto image = docker_archive({layer}, "liar:1", {claimed});
  CHECK_THROWS_WITH(store.load(string_reader(image.archive), [](const std::string&) {}),
                    Catch::Contains("layer digest mismatch") && Catch::Contains(claimed) &&
                        Catch::Contains(sha256_digest(layer)));
  CHECK(store.list().empty());
  CHECK(tree(dir / "image/layers").empty());
  CHECK(tree(dir / "image/blobs/sha256").empty());
  CHECK_THROWS_AS(store.get("liar:1"), NotFound);

  // And archives that are not image archives at all.
  CHECK_THROWS_WITH(
      store.load(string_reader(make_tar({{.name = "x", .data = "y"}})), [](const std::string&) {}),
      Catch::Contains("no manifest.json or index.json"));
  CHECK_THROWS_AS(store.load(string_reader("garbage, not a tar at all......................"),
                             [](const std::string&) {}),
                  InvalidArgument);
  CHECK(store.list().empty());
}

TEST_CASE("docker cp uploads follow symlinks only inside the target", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  const fs::path root = dir / "rootfs";
  fs::create_directories(root / "usr/bin");
  fs::create_symlink("usr/bin", root / "bin");  // a merged-/usr image
  fs::create_symlink("/", root / "escape");
  const std::string outside = unique_name("berth-cp");
  extract_tar_into(string_reader(make_tar({{.name = "bin/tool", .data = "t"},
                                           {.name = "escape/tmp/", .type = 'd', .mode = 0755},
                                           {.name = "escape/tmp/" + outside, .data = "x"}})),
                   root, false);
  CHECK(read_whole(root / "usr/bin/tool") == "t");
  // "/" inside the target is the target itself, as in a chroot.
  CHECK(read_whole(root / "tmp" / outside) == "x");
  CHECK_FALSE(fs::exists("/tmp/" + outside));

  fs::create_directories(root / "dir");
  CHECK_THROWS_WITH(
      extract_tar_into(string_reader(make_tar({{.name = "dir", .data = "file now"}})), root, true),
      Catch::Contains("cannot overwrite directory"));
  CHECK(fs::is_directory(root / "dir"));
  CHECK_THROWS_AS(
      extract_tar_into(string_reader(make_tar({{.name = "../x", .data = "x"}})), root, false),
      InvalidArgument);
}
