// The working directory the engine makes before a container starts: inside its root only.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "engine/containers/working_dir.hpp"

using namespace berth;
using namespace berth::engine;
namespace fs = std::filesystem;

TEST_CASE("the working dir is made inside the root, through its symlinks, never outside",
          "[engine][containers]") {
  const fs::path base = fs::temp_directory_path() / ("berth-wd-" + std::to_string(::getpid()));
  fs::remove_all(base);
  const fs::path root = base / "rootfs";
  fs::create_directories(root / "etc");
  std::ofstream(root / "etc/passwd") << "root:x:0:0::/root:/bin/sh\n";
  fs::create_symlink("/", root / "escape");        // absolute: the container's own root
  fs::create_symlink("../../..", root / "climb");  // climbing: stops at the root
  const std::string outside = "berth-wd-outside-" + std::to_string(::getpid());

  ensure_working_dir(root, "/a/b/c");
  CHECK(fs::is_directory(root / "a/b/c"));
  CHECK((fs::status(root / "a").permissions() & fs::perms::all) == static_cast<fs::perms>(0755));
  ensure_working_dir(root, "/a/b/c");  // again: nothing to do
  ensure_working_dir(root, "/escape/" + outside);
  ensure_working_dir(root, "/climb/" + outside + "2");
  CHECK(fs::is_directory(root / outside));
  CHECK(fs::is_directory(root / (outside + "2")));
  CHECK_FALSE(fs::exists(fs::path("/") / outside));
  CHECK_FALSE(fs::exists(fs::path("/") / (outside + "2")));
  CHECK_THROWS_WITH(ensure_working_dir(root, "/etc/passwd"),
                    "Cannot mkdir: /etc/passwd is not a directory");
  CHECK_THROWS_WITH(ensure_working_dir(root, "/etc/passwd/x"),
                    "Cannot mkdir: /etc/passwd is not a directory");
  ensure_working_dir(root, "");   // none set: nothing to do
  ensure_working_dir(root, "/");  // the root itself
  fs::remove_all(base);
}
